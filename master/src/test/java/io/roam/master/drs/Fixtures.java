package io.roam.master.drs;

import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostMode;
import io.roam.master.drs.model.HostView;
import io.roam.master.drs.model.Rule;
import io.roam.master.drs.model.VmView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Small clusters for planner tests, and a way to carry a plan out on a snapshot. */
final class Fixtures {
  static final long GIB = 1L << 30;

  private Fixtures() {}

  static HostView host(String name, double cores) {
    return new HostView(name, cores, 64 * GIB, HostMode.CONNECTED);
  }

  static VmView vm(String name, String host, double cpu) {
    return new VmView(name, host, cpu, GIB, 0, -1);
  }

  static ClusterSnapshot snapshot(long now, List<HostView> hosts, List<VmView> vms, Rule... rules) {
    return new ClusterSnapshot(now, hosts, vms, List.of(rules), List.of());
  }

  /** The snapshot after the plan's moves completed at {@code now}. */
  static ClusterSnapshot apply(ClusterSnapshot s, DrsPlan plan, long now) {
    Map<String, String> to = new HashMap<>();
    plan.moves().forEach(m -> to.put(m.vm(), m.to()));
    List<VmView> vms = new ArrayList<>();
    for (VmView v : s.vms()) {
      vms.add(to.containsKey(v.name()) ? v.on(to.get(v.name()), now) : v);
    }
    return new ClusterSnapshot(now, s.hosts(), vms, s.rules(), List.of());
  }

  static Map<String, String> placement(ClusterSnapshot s) {
    Map<String, String> out = new HashMap<>();
    s.vms().forEach(v -> out.put(v.name(), v.host()));
    return out;
  }

  /** Standard deviation of host loads over the hosts that take VMs. */
  static double imbalance(ClusterSnapshot s) {
    return new LoadState(s).imbalance();
  }
}
