package io.roam.master.dpm;

import io.roam.master.drs.AdmissionControl;
import io.roam.master.drs.Placement;
import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostMode;
import io.roam.master.drs.model.HostView;
import io.roam.master.drs.model.VmView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * DPM: a pure function from a snapshot and the demand history to power actions.
 *
 * <p>Utilization is the demand estimate over powered-on capacity (cores of hosts that are
 * connected or waking). Above the band's top on the short window: wake standby hosts (a host still
 * being emptied for standby first, then the smallest host that brings utilization back to the
 * target). Below the band's bottom on the long window, with a full long window of history and
 * no host waking: power off the one host cheapest to evacuate (least VM memory)
 * whose absence keeps utilization at or under the target on both windows, keeps HA's admission
 * control satisfied and whose VMs all have a place under the rules.
 */
public final class DpmPlanner {
  private DpmPlanner() {}

  public static DpmPlan plan(ClusterSnapshot s, DemandHistory history, DpmSettings settings, Set<String> wakeFailed) {
    if (settings.level() == DpmLevel.OFF) {
      return new DpmPlan(List.of(), Double.NaN, Double.NaN, "DPM is off");
    }
    long now = s.nowMs();
    double capacity = s.hosts().stream().filter(h -> h.mode() == HostMode.CONNECTED || h.mode() == HostMode.WAKING)
        .mapToDouble(HostView::cores).sum();
    double shortDemand = history.estimate(now, settings.powerOnWindowMs());
    double longDemand = history.spanMs(now) >= settings.powerOffWindowMs()
        ? history.estimate(now, settings.powerOffWindowMs()) : Double.NaN;
    double uShort = shortDemand / capacity;
    double uLong = longDemand / capacity;
    if (uShort > settings.high()) {
      return powerOn(s, settings, wakeFailed, shortDemand, capacity, uShort, uLong);
    }
    // A host being emptied is already outside the capacity, so another may follow it; but not
    // while a host wakes: demand just rose.
    boolean changing = s.hosts().stream().anyMatch(h -> h.mode() == HostMode.WAKING);
    if (uLong < settings.low() && !changing) {
      return powerOff(s, settings, Math.max(shortDemand, longDemand), capacity, uShort, uLong);
    }
    return new DpmPlan(List.of(), uShort, uLong, Double.isNaN(uLong) && !changing
        ? "waiting for a full power-off window of demand history" : "utilization within the band");
  }

  private static DpmPlan powerOn(ClusterSnapshot s, DpmSettings settings, Set<String> wakeFailed, double demand,
      double capacity, double uShort, double uLong) {
    String why = String.format(Locale.ROOT, "demand %.2f cores (mean+2σ, last %d s) is %.0f%% of %.1f powered cores,"
        + " above the band's top %.0f%%", demand, settings.powerOnWindowMs() / 1000, 100 * uShort, capacity,
        100 * settings.high());
    List<HostView> candidates = new ArrayList<>();
    s.hosts().stream().filter(h -> h.mode() == HostMode.ENTERING_STANDBY).forEach(candidates::add);
    s.hosts().stream().filter(h -> h.mode() == HostMode.STANDBY && !wakeFailed.contains(h.name()))
        .sorted(Comparator.comparingDouble(HostView::cores).thenComparing(HostView::name)).forEach(candidates::add);
    candidates.removeIf(h -> settings.levelOf(h.name()) == DpmLevel.OFF);
    List<PowerAction> actions = new ArrayList<>();
    double on = capacity;
    while (demand / on > settings.target() && !candidates.isEmpty()) {
      double needed = demand / settings.target() - on;
      HostView pick = candidates.stream().filter(h -> h.mode() == HostMode.ENTERING_STANDBY).findFirst()
          .orElseGet(() -> candidates.stream().filter(h -> h.cores() >= needed).findFirst()
              .orElse(candidates.get(candidates.size() - 1)));
      candidates.remove(pick);
      on += pick.cores();
      actions.add(new PowerAction(pick.name(), PowerAction.Kind.POWER_ON,
          settings.levelOf(pick.name()) == DpmLevel.AUTOMATIC,
          (pick.mode() == HostMode.ENTERING_STANDBY ? "keep on (cancel standby): " : "wake: ") + why));
    }
    return new DpmPlan(actions, uShort, uLong, actions.isEmpty() ? why + "; no standby host can be woken" : why);
  }

  private static DpmPlan powerOff(ClusterSnapshot s, DpmSettings settings, double demand, double capacity,
      double uShort, double uLong) {
    List<HostView> connected = s.hosts().stream().filter(h -> h.mode() == HostMode.CONNECTED).toList();
    if (connected.size() <= settings.minHostsOn()) {
      return new DpmPlan(List.of(), uShort, uLong, "at the minimum of " + settings.minHostsOn() + " hosts on");
    }
    HostView best = null;
    long bestCost = Long.MAX_VALUE;
    List<String> refused = new ArrayList<>();
    for (HostView h : connected) {
      if (settings.levelOf(h.name()) == DpmLevel.OFF) {
        continue;
      }
      String no = whyNotOff(s, settings, h, demand, capacity);
      if (no != null) {
        refused.add(h.name() + ": " + no);
        continue;
      }
      long cost = s.vms().stream().filter(v -> v.host().equals(h.name())).mapToLong(VmView::memoryBytes).sum();
      if (cost < bestCost) {
        best = h;
        bestCost = cost;
      }
    }
    if (best == null) {
      return new DpmPlan(List.of(), uShort, uLong, "utilization below the band but no host can go: "
          + String.join("; ", refused));
    }
    String why = String.format(Locale.ROOT, "demand %.2f cores (mean+2σ, last %d s) is %.0f%% of %.1f powered cores,"
        + " below the band's bottom %.0f%%; without %s it is %.0f%%; cheapest to empty (%d bytes of VM memory)",
        demand, settings.powerOffWindowMs() / 1000, 100 * uLong, capacity, 100 * settings.low(), best.name(),
        100 * demand / (capacity - best.cores()), bestCost);
    return new DpmPlan(List.of(new PowerAction(best.name(), PowerAction.Kind.POWER_OFF,
        settings.levelOf(best.name()) == DpmLevel.AUTOMATIC, why)), uShort, uLong, why);
  }

  private static String whyNotOff(ClusterSnapshot s, DpmSettings settings, HostView h, double demand, double capacity) {
    double left = capacity - h.cores();
    if (left <= 0 || demand / left > settings.target()) {
      return String.format(Locale.ROOT, "the others would run at %.0f%%, above the target",
          left <= 0 ? 100.0 : 100 * demand / left);
    }
    String admission = AdmissionControl.check(s, settings.haFailuresToTolerate(), 0, Set.of(h.name()));
    if (admission != null) {
      return admission;
    }
    // Every VM must have a place on the others, under the rules.
    List<HostView> hosts = s.hosts().stream().map(x -> x.name().equals(h.name())
        ? x.withMode(HostMode.ENTERING_STANDBY) : x).toList();
    Placement placement = Placement.of(new ClusterSnapshot(s.nowMs(), hosts, s.vms(), s.rules(), s.inFlight()));
    for (VmView v : s.vms()) {
      if (v.host().equals(h.name())) {
        Placement.Decision d = placement.place(v.name(), false);
        if (d.host().isEmpty()) {
          return "VM " + v.name() + " has nowhere to go: " + d.reason();
        }
      }
    }
    return null;
  }
}
