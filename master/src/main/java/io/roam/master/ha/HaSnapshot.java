package io.roam.master.ha;

import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.hosts.HeartbeatReports.HostReport;
import io.roam.master.inventory.ClusterStore.Versioned;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything the HA planner looks at, frozen at one instant. Times are this master's monotonic
 * milliseconds ({@code io.roam.common.time.Monotonic}).
 *
 * @param vms the VM records, by name
 * @param owners the owner records with their ZooKeeper versions
 * @param ownerSeenSinceMs when this leader first read each owner record at its current version:
 *     a heartbeat that arrived before that may describe the VM before it moved, and is not used
 * @param reports each host's latest heartbeat
 * @param fences power fencing of each host (missing: {@link FenceState#NONE})
 * @param restartsMs when HA restarted each VM in place recently (for the restart limit)
 * @param lastActedMs when HA's last action on each VM finished: older heartbeats are not used
 * @param busy VMs with an HA action queued or running: left alone until it finishes
 * @param cluster the placement snapshot (hosts, VMs, rules) failover targets are chosen in
 */
public record HaSnapshot(Map<String, VmRecord> vms, Map<String, Versioned<OwnerRecord>> owners,
    Map<String, Long> ownerSeenSinceMs, Map<String, HostReport> reports, Map<String, FenceState> fences,
    Map<String, List<Long>> restartsMs, Map<String, Long> lastActedMs, Set<String> busy, ClusterSnapshot cluster) {
  public HaSnapshot {
    vms = Map.copyOf(vms);
    owners = Map.copyOf(owners);
    ownerSeenSinceMs = Map.copyOf(ownerSeenSinceMs);
    reports = Map.copyOf(reports);
    fences = Map.copyOf(fences);
    restartsMs = Map.copyOf(restartsMs);
    lastActedMs = Map.copyOf(lastActedMs);
    busy = Set.copyOf(busy);
  }
}
