package io.roam.master.ha;

import io.roam.master.events.EventLog;
import io.roam.master.power.PowerDriver;
import io.roam.master.power.PowerControl;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Power fencing: a host that lost its session and has a power driver is powered off, and counts as
 * fenced once the driver reads it back as off. Then HA need not wait out the VM leases (DESIGN.md
 * invariant 4): a powered-off host runs nothing. Without a driver, or when fencing fails, HA waits
 * for the session timeout plus the lease as before. One attempt per down period.
 */
final class Fencer {
  private static final Logger LOG = LoggerFactory.getLogger(Fencer.class);

  private enum Result { NO_DRIVER, PENDING, FENCED, FAILED }

  private final PowerControl power;
  private final EventLog events;
  private final ExecutorService executor;
  private final Map<String, Result> results = new ConcurrentHashMap<>();

  Fencer(PowerControl power, EventLog events, ExecutorService executor) {
    this.power = power;
    this.events = events;
    this.executor = executor;
  }

  /** Whether the host is confirmed off; starts fencing it the first time it is asked. */
  boolean fenced(String host) {
    Result r = results.computeIfAbsent(host, this::begin);
    return r == Result.FENCED;
  }

  /** The host is back: a later failure is fenced again. */
  void reset(String host) {
    results.remove(host);
  }

  private Result begin(String host) {
    Optional<PowerDriver> driver;
    try {
      driver = power.driver(host);
    } catch (Exception e) {
      LOG.warn("cannot build the power driver of host {}: {}", host, e.getMessage());
      events.append("host.fence-failed", null, host, "its power driver cannot be used: " + e.getMessage());
      return Result.FAILED;
    }
    if (driver.isEmpty()) {
      return Result.NO_DRIVER;
    }
    PowerDriver d = driver.get();
    executor.execute(() -> {
      try {
        d.powerOff();
        PowerDriver.PowerState state = d.status();
        if (state == PowerDriver.PowerState.OFF) {
          results.put(host, Result.FENCED);
          events.append("host.fenced", null, host, "powered off through " + d + "; its VMs restart elsewhere now");
        } else {
          results.put(host, Result.FAILED);
          events.append("host.fence-failed", null, host, d + " reads the power as " + state
              + " after power off; waiting for the VM leases instead");
        }
      } catch (Exception e) {
        results.put(host, Result.FAILED);
        events.append("host.fence-failed", null, host, "power off through " + d + " failed: " + e.getMessage()
            + "; waiting for the VM leases instead");
      }
    });
    return Result.PENDING;
  }
}
