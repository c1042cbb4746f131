package io.roam.master.scheduler;

import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostMode;
import io.roam.master.drs.model.HostView;
import io.roam.master.drs.model.Rule;
import io.roam.master.drs.model.VmView;
import io.roam.master.hosts.LoadHistory;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.ClusterStore.Versioned;
import io.roam.master.inventory.HostControl;
import io.roam.master.inventory.RuleRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the planners' snapshot from the inventory: hosts with their mode (a host without a
 * session is disconnected, unless parked by DPM), the VMs that should run with the CPU demand the
 * heartbeats showed, and the rules. Memory of VMs that exist but should not run is taken off their
 * host's capacity: Roam allocates a VM's memory when it is created. So is the memory of each FT
 * secondary (a whole copy of its VM's memory) on the host that holds it, so that no placement, DRS
 * move or FT seeding counts that memory as free.
 */
public final class SnapshotReader {
  private final ClusterStore store;
  private final LoadHistory load;
  private final long demandWindowMs;

  public SnapshotReader(ClusterStore store, LoadHistory load, long demandWindowMs) {
    this.store = store;
    this.load = load;
    this.demandWindowMs = demandWindowMs;
  }

  /**
   * The records behind a snapshot, for callers that act on it.
   *
   * @param secondaries host -> the VMs whose promotable FT secondary it holds (by their owner records)
   */
  public record Read(ClusterSnapshot snapshot, Map<String, HostRecord> hosts, Map<String, VmRecord> vms,
      Map<String, Versioned<OwnerRecord>> owners, Map<String, HostControl> controls,
      Map<String, List<String>> secondaries) {}

  public Read read(long nowMs, Map<String, Long> lastMovedMs, List<ClusterSnapshot.InFlight> inFlight,
      List<VmView> extra) throws Exception {
    return read(nowMs, lastMovedMs, inFlight, extra, java.util.Set.of());
  }

  /** As above, with the VMs in {@code starting} counted as running (admission of a VM about to start). */
  public Read read(long nowMs, Map<String, Long> lastMovedMs, List<ClusterSnapshot.InFlight> inFlight,
      List<VmView> extra, java.util.Set<String> starting) throws Exception {
    Map<String, HostRecord> hosts = new HashMap<>();
    Map<String, HostControl> controls = new HashMap<>();
    for (HostRecord h : store.hosts()) {
      hosts.put(h.name(), h);
      controls.put(h.name(), store.hostControl(h.name()));
    }
    Map<String, VmRecord> vms = new HashMap<>();
    Map<String, Versioned<OwnerRecord>> owners = new HashMap<>();
    Map<String, Long> parked = new HashMap<>(); // memory of VMs that should not run, and of secondaries, per host
    Map<String, List<String>> secondaries = new HashMap<>();
    List<VmView> views = new ArrayList<>();
    for (String name : store.vmNames()) {
      Optional<VmRecord> rec = store.vm(name);
      Optional<Versioned<OwnerRecord>> owner = store.owner(name);
      if (rec.isEmpty() || owner.isEmpty()) {
        continue;
      }
      vms.put(name, rec.get());
      owners.put(name, owner.get());
      String host = owner.get().value().host();
      long memory = rec.get().spec().memoryBytes();
      String secondary = owner.get().value().ftSecondary();
      if (secondary != null) {
        parked.merge(secondary, memory, Long::sum);
        secondaries.computeIfAbsent(secondary, k -> new ArrayList<>()).add(name);
      }
      if (rec.get().desiredState() != VmRecord.DesiredState.RUNNING && !starting.contains(name)) {
        parked.merge(host, memory, Long::sum);
        continue;
      }
      views.add(new VmView(name, host, load == null ? 0 : load.cpuDemand(name, nowMs, demandWindowMs), memory,
          load == null ? 0 : load.activeMemoryBytes(name), lastMovedMs.getOrDefault(name, -1L),
          rec.get().spec().hasAddress()));
    }
    views.addAll(extra);
    List<HostView> hostViews = new ArrayList<>();
    for (HostRecord h : hosts.values()) {
      HostMode mode = controls.get(h.name()).mode();
      if (!store.isLive(h.name()) && mode != HostMode.STANDBY && mode != HostMode.WAKING) {
        mode = HostMode.DISCONNECTED;
      }
      hostViews.add(new HostView(h.name(), Math.max(1, h.cores()), h.memoryBytes() - parked.getOrDefault(h.name(), 0L),
          mode, h.vmAddresses()));
    }
    hostViews.sort(java.util.Comparator.comparing(HostView::name));
    List<Rule> rules = store.rules().stream().map(RuleRecord::toRule).toList();
    return new Read(new ClusterSnapshot(nowMs, hostViews, views, rules, inFlight), hosts, vms, owners, controls,
        secondaries);
  }
}
