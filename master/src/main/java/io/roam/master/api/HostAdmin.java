package io.roam.master.api;

import io.grpc.Status;
import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.master.inventory.HostLoads.HostLoad;
import io.roam.master.events.EventLog;
import io.roam.master.hosts.HostStatus;
import io.roam.master.hosts.LoadHistory;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.ClusterStore.Versioned;
import io.roam.master.inventory.HostControl;
import io.roam.master.inventory.HostEvent;
import io.roam.master.inventory.HostTransition;
import io.roam.master.power.PowerDriverCatalog;
import io.roam.master.power.PowerDrivers;
import io.roam.master.power.PowerException;
import io.roam.master.power.PowerSpec;
import io.roam.proto.HostInfo;
import io.roam.proto.PowerDriverRequest;
import java.util.Locale;
import java.util.Optional;

/**
 * Hosts as operators see and change them: `host ls` (state, demand, power driver), maintenance
 * mode, manual power, power drivers, and clearing a failed wake.
 */
final class HostAdmin {
  private static final long DEMAND_SHOWN_MS = 60_000;

  private final ClusterStore store;
  private final EventLog events;
  private final LeaderState leader;
  private final LoadHistory load;
  private final PowerDriverCatalog powerDrivers;

  HostAdmin(ClusterStore store, EventLog events, LeaderState leader, LoadHistory load,
      PowerDriverCatalog powerDrivers) {
    this.store = store;
    this.powerDrivers = powerDrivers;
    this.events = events;
    this.leader = leader;
    this.load = load;
  }

  HostInfo describe(HostRecord h, HostLoad l) throws Exception {
    HostControl c = store.hostControl(h.name());
    String state = io.roam.master.hosts.HostStates.shown(c.mode(), l.connected(), store.hostState(h.name()));
    HostInfo.Builder b = HostInfo.newBuilder().setName(h.name()).setAddress(h.address()).setPort(h.port())
        .setCores(h.cores()).setMemoryBytes(h.memoryBytes()).setMemoryUsedBytes(l.memoryUsedBytes())
        .setVmCount(l.vmCount()).setState(state).setDatastore(h.datastore()).setVmAddresses(h.vmAddresses()).setMetricsPort(h.metricsPort()).setWakeFailed(c.wakeFailed())
        .setCpuDemand(demand(h.name())).setDpmLevel(c.dpm());
    store.powerDriver(h.name()).ifPresent(name -> b.setPowerDriver(describePowerDriver(name)));
    leader.host(h.name()).map(HostStatus::note).filter(n -> !n.isEmpty()).ifPresent(b::setNote);
    if (c.mode().evacuating()) {
      leader.scheduler().ifPresent(s -> {
        String blocked = String.join("; ", s.status().blocked().entrySet().stream()
            .map(e -> e.getKey() + ": " + e.getValue()).toList());
        if (!blocked.isEmpty()) {
          b.setNote(blocked);
        }
      });
    }
    return b.build();
  }

  private double demand(String host) throws Exception {
    long now = System.currentTimeMillis();
    double sum = 0;
    for (String vm : store.vmNames()) {
      Optional<Versioned<OwnerRecord>> o = store.owner(vm);
      if (o.isPresent() && o.get().value().host().equals(host)) {
        sum += load.cpuDemand(vm, now, DEMAND_SHOWN_MS);
      }
    }
    return sum;
  }

  /**
   * An operator's change of a host. Mode changes go through the transition table by
   * compare-and-set on the leader's term-bound store: a refusal is one line and changes nothing.
   */
  HostInfo change(String host, String action) throws Exception {
    HostRecord h = record(host);
    ClusterStore writes = leader.store().orElseThrow(HostAdmin::termEnded);
    long now = System.currentTimeMillis();
    switch (action) {
      case "enter-maintenance" -> {
        if (transition(writes, host, HostEvent.OPERATOR_ENTER_MAINTENANCE, now)) {
          events.append("host.entering-maintenance", null, host, "asked by an operator; DRS moves its VMs away");
        }
      }
      case "exit-maintenance" -> {
        if (transition(writes, host, HostEvent.OPERATOR_EXIT_MAINTENANCE, now)) {
          events.append("host.connected", null, host, "left maintenance mode; it takes VMs again");
        }
      }
      case "power-off" -> {
        requireDriver(host);
        if (transition(writes, host, HostEvent.OPERATOR_POWER_OFF, now)) {
          events.append("host.entering-standby", null, host, "asked by an operator; its VMs move away, then it is"
              + " powered off");
        }
      }
      case "power-on" -> {
        requireDriver(host);
        String refused = leader.scheduler().orElseThrow(() -> MasterException.precondition("not the leader"))
            .wake(host, HostEvent.OPERATOR_POWER_ON, now, "asked by an operator");
        if (refused != null) {
          throw MasterException.precondition("host " + host + ": " + refused);
        }
      }
      case "dpm-off", "dpm-manual", "dpm-automatic", "dpm-default" -> {
        String level = action.equals("dpm-default") ? "" : action.substring(4);
        writes.updateHostControl(host, c -> HostTransition.to(c, c.withDpm(level)));
        events.append("host.dpm", null, host, "DPM level " + (level.isEmpty() ? "as the cluster" : level)
            + " for this host");
      }
      case "clear-wake-failed" -> {
        writes.updateHostControl(host, c -> HostTransition.to(c, c.withWakeFailed(false)));
        events.append("host.wake-cleared", null, host, "an operator cleared the failed wake; DPM may use it again");
      }
      default -> throw MasterException.invalid("unknown host action '" + action + "'; use enter-maintenance,"
          + " exit-maintenance, power-on, power-off, clear-wake-failed, dpm-off, dpm-manual, dpm-automatic or"
          + " dpm-default");
    }
    return describe(h);
  }

  /**
   * Selects one of the drivers the masters' configuration defines, by name, or removes the host's
   * driver. A request that carries anything else (a driver type, a command, a pid file, a BMC...)
   * is refused and changes nothing: whoever could define a driver through the API could run any
   * command as the master's user.
   */
  HostInfo setPowerDriver(PowerDriverRequest req) throws Exception {
    if (!req.getDriver().isEmpty() || !req.getAddress().isEmpty() || !req.getUser().isEmpty()
        || !req.getPasswordFile().isEmpty() || !req.getMac().isEmpty() || req.getCommandCount() > 0
        || !req.getPidFile().isEmpty()) {
      throw MasterException.invalid("power drivers are defined in the masters' configuration (power.drivers);"
          + " the API only selects one by name: roamctl host power-driver HOST --name NAME");
    }
    HostRecord h = record(req.getHost());
    String name = req.getName();
    if (!name.isEmpty()) {
      Optional<PowerSpec> spec;
      try {
        spec = PowerDriverCatalog.isValidName(name) ? powerDrivers.find(name) : Optional.empty();
      } catch (PowerException e) {
        throw MasterException.precondition(e.getMessage());
      }
      if (spec.isEmpty()) {
        throw MasterException.invalid("no power driver named '" + name + "' in this master's power.drivers");
      }
    }
    ClusterStore writes = leader.store().orElseThrow(HostAdmin::termEnded);
    if (name.isEmpty()) {
      writes.setPowerDriver(h.name(), null);
      events.append("host.power-driver", null, h.name(), "power driver removed");
    } else {
      writes.setPowerDriver(h.name(), name);
      events.append("host.power-driver", null, h.name(), "power driver set: " + describePowerDriver(name));
    }
    return describe(h);
  }

  /** "NAME (ipmi admin@10.0.0.9)": the name and where it points, never a credential. */
  private String describePowerDriver(String name) {
    if (!PowerDriverCatalog.isValidName(name)) {
      return "(not a driver name; select one again)";
    }
    try {
      return powerDrivers.find(name).map(s -> name + " (" + PowerDrivers.describe(s) + ")")
          .orElse(name + " (not defined on this master)");
    } catch (PowerException e) {
      return name + " (power.drivers unreadable)";
    }
  }

  /** The host as `host ls` shows it, with the memory its VMs hold now. */
  private HostInfo describe(HostRecord h) throws Exception {
    return describe(h, io.roam.master.inventory.HostLoads.read(store, java.util.List.of(h)).get(0));
  }

  /** Applies an operator's event; true when it changed the host, a one-line refusal when not allowed. */
  private static boolean transition(ClusterStore writes, String host, HostEvent event, long now) throws Exception {
    HostTransition t = writes.transitionHost(host, event, now);
    if (t.refused()) {
      throw MasterException.precondition("host " + host + ": " + t.refusal());
    }
    return t.changes();
  }

  /** UNAVAILABLE, not FAILED_PRECONDITION: roamctl then asks the next master, maybe the new leader. */
  private static MasterException termEnded() {
    return new MasterException(Status.Code.UNAVAILABLE, "this master's term as leader has ended");
  }

  private void requireDriver(String host) throws Exception {
    if (store.powerDriver(host).isEmpty()) {
      throw MasterException.precondition("host " + host + " has no power driver; define one in the masters'"
          + " power.drivers and select it with `roamctl host power-driver " + host + " --name NAME`");
    }
  }

  private HostRecord record(String host) throws Exception {
    return store.hosts().stream().filter(r -> r.name().equals(host)).findFirst()
        .orElseThrow(() -> new MasterException(Status.Code.NOT_FOUND, "unknown host '" + host + "'"));
  }
}
