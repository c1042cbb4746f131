package io.roam.master.api;

import io.grpc.Status;
import io.roam.common.model.VmSpec;
import io.roam.master.drs.AdmissionControl;
import io.roam.master.drs.Placement;
import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.VmView;
import io.roam.master.hosts.LoadHistory;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.scheduler.SnapshotReader;
import java.util.List;
import java.util.Map;

/**
 * DRS initial placement and HA admission control for the API: where a new VM goes, and whether
 * one more running VM still leaves room for the configured host failures.
 */
final class PlacementService {
  /** Demand assumed for a new VM when no VM has shown any yet, in cores. */
  private static final double DEFAULT_DEMAND = 0.5;

  private final ClusterStore store;
  private final LoadHistory load;
  private final int hostFailures;
  private final long demandWindowMs;
  private final java.util.concurrent.atomic.AtomicBoolean saidReduced = new java.util.concurrent.atomic.AtomicBoolean();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PlacementService.class);

  PlacementService(ClusterStore store, LoadHistory load, int hostFailures, long demandWindowMs) {
    this.store = store;
    this.load = load;
    this.hostFailures = hostFailures;
    this.demandWindowMs = demandWindowMs;
  }

  /**
   * The host DRS picks for a new VM. Its demand is unknown yet: it is taken as the mean demand of
   * the running VMs, so that a new VM weighs like a typical one.
   */
  String place(VmSpec spec) throws Exception {
    ClusterSnapshot base = read(List.of());
    double demand = base.vms().stream().mapToDouble(VmView::cpuDemand).average().orElse(DEFAULT_DEMAND);
    if (demand <= 0) {
      demand = DEFAULT_DEMAND;
    }
    ClusterSnapshot s = read(List.of(new VmView(spec.name(), "", demand, spec.memoryBytes(), 0, -1,
        spec.hasAddress())));
    Placement.Decision d = Placement.of(s).place(spec.name(), false);
    return d.host().orElseThrow(() -> new MasterException(Status.Code.RESOURCE_EXHAUSTED,
        "cannot place VM " + spec.name() + ": " + d.reason()));
  }

  /** Throws RESOURCE_EXHAUSTED when starting the VM would break HA admission control. */
  void admit(VmSpec spec) throws Exception {
    ClusterSnapshot s = new SnapshotReader(store, load, demandWindowMs).read(System.currentTimeMillis(), Map.of(),
        List.of(), List.of(), java.util.Set.of(spec.name())).snapshot();
    refuseIfReserveBroken(s, 0, "cannot start VM " + spec.name(), "");
  }

  /**
   * Admission of a VM that is created and started in one request: the new VM, not in the inventory
   * yet, counted as running. Throws RESOURCE_EXHAUSTED before anything is written.
   */
  void admitNew(VmSpec spec) throws Exception {
    refuseIfReserveBroken(read(List.of()), spec.memoryBytes(), "cannot create and start VM " + spec.name(),
        "; nothing was created");
  }

  private void refuseIfReserveBroken(ClusterSnapshot s, long extraMemory, String what, String after) {
    sayOnceWhenReduced(s);
    String no = AdmissionControl.check(s, hostFailures, extraMemory, java.util.Set.of());
    if (no != null) {
      throw new MasterException(Status.Code.RESOURCE_EXHAUSTED, what + ": " + no + " (master setting ha.host-failures)"
          + after);
    }
  }

  /** Logs, once per master, that the cluster is too small for the reserve ha.host-failures asks. */
  private void sayOnceWhenReduced(ClusterSnapshot s) {
    int tolerated = AdmissionControl.tolerable(s, hostFailures);
    if (tolerated < hostFailures && !saidReduced.getAndSet(true)) {
      if (tolerated == 0) {
        LOG.info("HA admission control is off: the cluster has one host, so no host failure can be survived"
            + " (ha.host-failures {} applies from the second host on)", hostFailures);
      } else {
        LOG.info("HA admission control keeps a reserve for {} host failure(s), not the {} of ha.host-failures: the"
            + " cluster has {} hosts", tolerated, hostFailures, s.hosts().size());
      }
    }
  }

  private ClusterSnapshot read(List<VmView> extra) throws Exception {
    return new SnapshotReader(store, load, demandWindowMs).read(System.currentTimeMillis(), Map.of(), List.of(), extra)
        .snapshot();
  }
}
