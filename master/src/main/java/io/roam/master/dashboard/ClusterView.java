package io.roam.master.dashboard;

import io.roam.proto.DrsStatus;
import io.roam.proto.Event;
import io.roam.proto.HostInfo;
import io.roam.proto.LeaderInfo;
import io.roam.proto.MigrationInfo;
import io.roam.proto.VmInfo;
import java.util.List;
import java.util.Optional;

/**
 * Everything the dashboard shows, as read at one moment: the same messages `roamctl host ls`,
 * `vm ls`, `migration ls`, `events` and `drs status` print. Immutable.
 *
 * @param drs the leader's last DRS/DPM pass (empty on a master that does not lead)
 * @param haEnabled the masters' ha.enabled
 * @param haHostFailures the host failures HA admission control keeps room for (ha.host-failures)
 * @param history the leader's samples of the last hour, oldest first
 */
public record ClusterView(long nowMs, LeaderInfo leader, List<HostInfo> hosts, List<VmInfo> vms,
    List<MigrationInfo> migrations, List<Event> events, Optional<DrsStatus> drs, boolean haEnabled,
    int haHostFailures, List<DashboardHistory.Sample> history) {
  public ClusterView {
    hosts = List.copyOf(hosts);
    vms = List.copyOf(vms);
    migrations = List.copyOf(migrations);
    events = List.copyOf(events);
    history = List.copyOf(history);
  }
}
