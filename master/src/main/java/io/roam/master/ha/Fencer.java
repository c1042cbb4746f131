package io.roam.master.ha;

import io.roam.master.power.PowerControl;
import io.roam.master.power.PowerDriver;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Power fencing: a host that lost its session and has a power driver is powered off, and counts as
 * fenced only once the driver reads it back as off. Then HA need not wait out the VM leases
 * (DESIGN.md invariant 4): a powered-off host runs nothing. A power-off that fails, times out (the
 * drivers throw) or does not read back as off is {@link FenceState#FAILED}, never fenced; HA then
 * waits for the failover delay. One attempt per down period.
 *
 * <p>A power-off under way stays {@link FenceState#PENDING} even if the host comes back meanwhile
 * ({@link #reset} leaves it): HA does not start VMs on a host that may lose power any moment, and
 * the outcome is not lost. Thread-safe.
 */
final class Fencer {
  private static final Logger LOG = LoggerFactory.getLogger(Fencer.class);

  /** Where fencing says what it did: the event log in production. */
  interface Events {
    void append(String kind, String vm, String host, String message);
  }

  private final PowerControl power;
  private final Events events;
  private final Executor executor;
  private final Map<String, FenceState> states = new ConcurrentHashMap<>();

  Fencer(PowerControl power, Events events, Executor executor) {
    this.power = power;
    this.events = events;
    this.executor = executor;
  }

  FenceState state(String host) {
    return states.getOrDefault(host, FenceState.NONE);
  }

  /** The fence state of every host fenced since it was last connected. */
  Map<String, FenceState> states() {
    return Map.copyOf(states);
  }

  /** Starts powering the host off, unless an attempt was made already in this down period. */
  void begin(String host) {
    states.computeIfAbsent(host, this::start);
  }

  /** The host is connected again: a later failure is fenced again. A power-off under way is kept. */
  void reset(String host) {
    states.computeIfPresent(host, (h, s) -> s == FenceState.PENDING ? s : null);
  }

  private FenceState start(String host) {
    Optional<PowerDriver> driver;
    try {
      driver = power.driver(host);
    } catch (Exception e) {
      LOG.warn("cannot build the power driver of host {}: {}", host, e.getMessage());
      events.append("host.fence-failed", null, host, "its power driver cannot be used: " + e.getMessage());
      return FenceState.FAILED;
    }
    if (driver.isEmpty()) {
      return FenceState.NO_DRIVER;
    }
    PowerDriver d = driver.get();
    executor.execute(() -> states.put(host, powerOff(host, d)));
    return FenceState.PENDING;
  }

  private FenceState powerOff(String host, PowerDriver d) {
    try {
      d.powerOff();
      PowerDriver.PowerState state = d.status();
      if (state == PowerDriver.PowerState.OFF) {
        events.append("host.fenced", null, host, "powered off through " + d + "; its VMs restart elsewhere now");
        return FenceState.FENCED;
      }
      events.append("host.fence-failed", null, host, d + " reads the power as " + state
          + " after power off; waiting for the VM leases instead");
    } catch (Exception e) {
      events.append("host.fence-failed", null, host, "power off through " + d + " failed: " + e.getMessage()
          + "; waiting for the VM leases instead");
    }
    return FenceState.FAILED;
  }
}
