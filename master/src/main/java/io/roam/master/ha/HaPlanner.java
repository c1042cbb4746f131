package io.roam.master.ha;

import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.master.drs.Placement;
import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.Rule;
import io.roam.master.hosts.HeartbeatReports.HostReport;
import io.roam.master.hosts.HeartbeatReports.ReportedVm;
import io.roam.master.hosts.HostState;
import io.roam.master.hosts.HostStatus;
import io.roam.master.inventory.ClusterStore.Versioned;
import io.roam.proto.VmLoad;
import io.roam.proto.VmState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The HA decisions, as a pure function of a {@link HaSnapshot}, the host monitor's verdicts and the
 * time: no I/O, no clock, no state. {@link HaMonitor} reads the snapshot and carries the actions out.
 *
 * <ul>
 *   <li>VM monitoring, on a connected host: a VM that the host's latest heartbeat does not show is
 *       created and started there; a stopped or crashed one is started (but a missing, stopped
 *       or crashed one whose owner record names a live FT secondary fails over to it, and the
 *       agent takes an FT tag off before any boot); a running one whose step counter is stuck is powered off and started; a migration's destination that the owner
 *       record names but that stays INCOMING past {@code incomingTimeoutMs} is powered off and
 *       booted there. Only on a heartbeat newer than the owner record's last change and than HA's
 *       last action on the VM; at most {@code restartLimit} times in ten minutes.
 *   <li>Failover: the VMs of a host whose session is gone move once {@code failoverDelayMs} has
 *       passed since (their leases have run out: DESIGN.md invariant 4) or once the host is
 *       powered off by fencing. Highest restart priority first, each to the host DRS placement
 *       picks, seeing the placements before it; never to a host that holds a live copy of the VM
 *       (the destination of a migration cut short): that copy is resolved by ownership.
 * </ul>
 *
 * Thread-safe (immutable).
 */
public final class HaPlanner {
  /** Restarts in place are counted over this window. */
  public static final long RESTART_WINDOW_MS = 600_000;

  /**
   * @param failoverDelayMs how long a host's session must be gone before its VMs move (at least
   *     the VM lease)
   * @param restartLimit restarts in place of one VM within {@link #RESTART_WINDOW_MS}
   * @param vmHeartbeatTimeoutMs a running VM whose counter is stuck this long is hung (0: never)
   * @param incomingTimeoutMs an owned destination INCOMING this long is started by HA
   */
  public record Settings(long failoverDelayMs, int restartLimit, long vmHeartbeatTimeoutMs, long incomingTimeoutMs) {
    /**
     * The master's settings. HA starts a stuck destination only well after the agent's own
     * resolution by ownership should have (its data-plane idle timeout): twice the failover delay,
     * at least 30 s.
     */
    public static Settings of(long failoverDelayMs, int restartLimit, long vmHeartbeatTimeoutMs) {
      return new Settings(failoverDelayMs, restartLimit, vmHeartbeatTimeoutMs, Math.max(30_000, 2 * failoverDelayMs));
    }
  }

  private final Settings settings;
  private final StallWatch stalls;

  public HaPlanner(Settings settings) {
    this.settings = settings;
    this.stalls = new StallWatch(settings.vmHeartbeatTimeoutMs());
  }

  /** The actions for this pass: host fences first, then VM monitoring, then failovers in priority order. */
  public List<HaAction> plan(HaSnapshot s, Map<String, HostStatus> hosts, long nowMs) {
    List<HaAction> fences = new ArrayList<>();
    List<HaAction> inPlace = new ArrayList<>();
    Map<String, List<String>> onDownHosts = new TreeMap<>();
    for (String vm : new TreeSet<>(s.vms().keySet())) {
      VmRecord rec = s.vms().get(vm);
      Versioned<OwnerRecord> owner = s.owners().get(vm);
      if (owner == null || rec.desiredState() != VmRecord.DesiredState.RUNNING || s.busy().contains(vm)) {
        continue;
      }
      HostStatus host = hosts.get(owner.value().host());
      if (host == null) {
        continue;
      }
      if (host.live()) {
        HaAction a = monitor(s, vm, owner, host, hosts, nowMs);
        if (a != null) {
          inPlace.add(a);
        }
      } else {
        onDownHosts.computeIfAbsent(host.name(), k -> new ArrayList<>()).add(vm);
      }
    }
    // Decided once per host and pass, so that all the VMs of a host fail over together (fencing
    // that finishes halfway through a pass must not split them over two passes). Only hosts that
    // hold VMs to restart are fenced: a host parked by DPM is off already and holds none.
    List<String> toFailOver = new ArrayList<>();
    Map<String, String> why = new TreeMap<>();
    onDownHosts.forEach((name, vms) -> {
      HostStatus host = hosts.get(name);
      long downFor = nowMs - host.downSinceMs();
      FenceState fence = s.fences().getOrDefault(name, FenceState.NONE);
      if (downFor >= settings.failoverDelayMs()) {
        toFailOver.addAll(vms);
        why.put(name, "host " + name + " failed (session gone " + downFor + " ms)");
      } else if (fence == FenceState.FENCED) {
        toFailOver.addAll(vms);
        why.put(name, "host " + name + " failed and is powered off");
      } else if (fence == FenceState.NONE) {
        fences.add(new HaAction.Fence(name, "session gone " + downFor + " ms; powering it off lets its " + vms.size()
            + " VM(s) restart before the failover delay (" + settings.failoverDelayMs() + " ms)"));
      }
    });
    List<HaAction> out = new ArrayList<>(fences);
    out.addAll(inPlace);
    out.addAll(failOver(s, toFailOver, why, hosts));
    return out;
  }

  /** VM monitoring of one VM whose owner host is connected; null when nothing is to be done. */
  private HaAction monitor(HaSnapshot s, String vm, Versioned<OwnerRecord> owner, HostStatus host,
      Map<String, HostStatus> hosts, long nowMs) {
    String name = host.name();
    if (s.fences().getOrDefault(name, FenceState.NONE) == FenceState.PENDING) {
      return null; // a power-off of this host is under way: a start now would race it
    }
    if (host.state() == HostState.NOT_RESPONDING) {
      return null; // its heartbeats stopped: nothing fresh to judge by; its session decides
    }
    HostReport report = s.reports().get(name);
    // Evidence must be newer than the owner record's last change and than HA's last action: an
    // older heartbeat may show the VM before it moved here, or before HA started it.
    long notBefore = Math.max(s.ownerSeenSinceMs().getOrDefault(vm, nowMs), s.lastActedMs().getOrDefault(vm, -1L));
    if (report == null || report.arrivedMs() <= notBefore) {
      return null;
    }
    long epoch = owner.value().epoch();
    int version = owner.version();
    ReportedVm rv = report.vms().get(vm);
    String secondary = owner.value().ftSecondary();
    HostStatus secondaryHost = secondary == null ? null : hosts.get(secondary);
    boolean liveSecondary = secondaryHost != null && secondaryHost.live() && !secondary.equals(name);
    VmState state = rv == null ? null : rv.load().getState();
    if (liveSecondary && (rv == null || state == VmState.VM_STATE_CRASHED || state == VmState.VM_STATE_STOPPED)
        && (rv == null || rv.load().getMigrationId().isEmpty())) {
      // FT: the primary has no process (it crashed, fencing powered it off, its agent restarted)
      // and the record still carries the tag it left for this (DESIGN.md "FT"): the secondary holds
      // the last acknowledged checkpoint, memory and all; a boot in place would start from nothing.
      // Counted against the restart limit: a crash the secondary repeats must not bounce the VM
      // between hosts for ever.
      String what = rv == null ? "missing on" : state == VmState.VM_STATE_CRASHED ? "crashed on" : "stopped on";
      return limited(s, vm, name, nowMs, new HaAction.Promote(vm, name, secondary, version, epoch + 1,
          owner.value().migration(), "the VM " + what + " " + name + " under FT; its secondary on " + secondary
              + " took over at owner epoch " + (epoch + 1)));
    }
    if (rv == null) {
      return limited(s, vm, name, nowMs, new HaAction.RestartInPlace(vm, name, epoch, version, true,
          "the VM was missing on its host; booted it again there"));
    }
    VmLoad load = rv.load();
    if (!load.getMigrationId().isEmpty()) {
      return null; // the source of a migration: the migration decides
    }
    long stuck = stalls.stuckFor(rv, report.arrivedMs(), notBefore);
    if (stuck >= 0) {
      return limited(s, vm, name, nowMs, new HaAction.PowerOffHung(vm, name, epoch, version, stuck,
          "its heartbeat counter has been stuck at " + load.getHeartbeat() + " for " + stuck
              + " ms while running; powering it off and starting it again in place"));
    }
    if (load.getState() == VmState.VM_STATE_STOPPED || load.getState() == VmState.VM_STATE_CRASHED) {
      return limited(s, vm, name, nowMs, new HaAction.RestartInPlace(vm, name, epoch, version, false,
          "the VM was " + load.getState().name().replace("VM_STATE_", "").toLowerCase(Locale.ROOT)
              + " on its host; started it again in place"));
    }
    if (load.getState() == VmState.VM_STATE_INCOMING) {
      // The destination of a migration whose source died before it finished (issue 9, window 10):
      // the owner record names this host, so no other copy may run; the agent resolves it by
      // ownership itself, and this is the backstop when it does not.
      long incomingFor = report.arrivedMs() - Math.max(rv.stateSinceMs(), notBefore);
      if (incomingFor >= settings.incomingTimeoutMs()) {
        return limited(s, vm, name, nowMs, new HaAction.StartStuckIncoming(vm, name, epoch, version, incomingFor,
            "owned here at epoch " + epoch + " but still incoming after " + incomingFor
                + " ms (its migration's source is gone); powering the waiting copy off and booting the VM here"));
      }
    }
    return null;
  }

  /** The restart, or why the restart limit holds it back. */
  private HaAction limited(HaSnapshot s, String vm, String host, long nowMs, HaAction restart) {
    long recent = s.restartsMs().getOrDefault(vm, List.of()).stream()
        .filter(t -> nowMs - t <= RESTART_WINDOW_MS).count();
    if (recent >= settings.restartLimit()) {
      return new HaAction.RestartLimited(vm, host, "restarted " + settings.restartLimit()
          + " times in 10 minutes; not again until the window passes");
    }
    return restart;
  }

  /**
   * Moves the VMs of failed hosts, highest restart priority first, to the hosts DRS placement
   * picks, one after the other, each seeing the ones before.
   */
  private List<HaAction> failOver(HaSnapshot s, List<String> vms, Map<String, String> why,
      Map<String, HostStatus> hosts) {
    List<HaAction> out = new ArrayList<>();
    if (vms.isEmpty()) {
      return out;
    }
    List<String> ordered = new ArrayList<>(vms);
    ordered.sort(Comparator.comparingInt((String v) -> s.vms().get(v).policy().restartRank())
        .thenComparing(v -> v));
    Set<String> placeable = new TreeSet<>();
    s.cluster().vms().forEach(v -> placeable.add(v.name()));
    Placement placement = Placement.of(withoutCopies(s.cluster(), s, ordered));
    for (String vm : ordered) {
      VmRecord rec = s.vms().get(vm);
      Versioned<OwnerRecord> owner = s.owners().get(vm);
      String from = owner.value().host();
      if (rec.policy().restartPriority().equals("disabled")) {
        out.add(new HaAction.RestartDisabled(vm, from, "its host failed; restart priority is disabled, so HA leaves"
            + " it down"));
        continue;
      }
      // FT: a live hot secondary named by the record takes over with its memory (DESIGN.md "Fault
      // tolerance"), before placement: it needs no room found, it holds its memory already.
      String secondary = owner.value().ftSecondary();
      HostStatus secondaryHost = secondary == null ? null : hosts.get(secondary);
      if (secondaryHost != null && secondaryHost.live() && !secondary.equals(from)) {
        long newEpoch = owner.value().epoch() + 1;
        out.add(new HaAction.Promote(vm, from, secondary, owner.version(), newEpoch, owner.value().migration(),
            why.get(from) + "; its FT secondary on " + secondary + " took over at owner epoch " + newEpoch));
        continue;
      }
      if (!placeable.contains(vm)) {
        continue; // not in the placement snapshot (read a moment apart): the next pass has it
      }
      Placement.Decision d = placement.place(vm, true);
      if (d.host().isEmpty()) {
        out.add(new HaAction.WaitNoRoom(vm, from, "cannot restart: " + d.reason() + "; retrying as room appears"));
        continue;
      }
      long newEpoch = owner.value().epoch() + 1;
      out.add(new HaAction.FailOver(vm, from, d.host().get(), owner.version(), newEpoch, why.get(from)
          + "; restarted here at owner epoch " + newEpoch + " (priority " + rec.policy().restartPriority() + ")"));
    }
    return out;
  }

  /**
   * The placement snapshot with, for each VM to fail over, a binding rule that keeps it off every
   * connected host whose heartbeat shows a copy of it that is not stopped: the waiting destination
   * of a migration from the failed host (issue 9, window 3). Booting there would meet that copy
   * (half its pages, never to be committed); the owner record naming another host resolves it.
   */
  private static ClusterSnapshot withoutCopies(ClusterSnapshot c, HaSnapshot s, List<String> vms) {
    List<Rule> rules = new ArrayList<>(c.rules());
    for (String vm : vms) {
      Set<String> holders = new TreeSet<>();
      s.reports().forEach((host, report) -> {
        ReportedVm rv = report.vms().get(vm);
        if (rv != null && !host.equals(s.owners().get(vm).value().host())
            && rv.load().getState() != VmState.VM_STATE_STOPPED && rv.load().getState() != VmState.VM_STATE_CRASHED) {
          holders.add(host);
        }
      });
      if (!holders.isEmpty()) {
        rules.add(new Rule.VmHost("ha: " + vm + " has a copy here", Set.of(vm), holders, false, true));
      }
    }
    return new ClusterSnapshot(c.nowMs(), c.hosts(), c.vms(), rules, c.inFlight());
  }
}
