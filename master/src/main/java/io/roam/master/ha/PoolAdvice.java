package io.roam.master.ha;

import io.roam.master.drs.Placement;
import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostView;
import io.roam.master.drs.model.VmView;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * How many VM JVMs each agent should keep started ahead of need (its VM process pool): the most
 * VMs HA would restart on that host at once if any one other host failed. A restart from the pool
 * skips the JVM's start-up (about 250 ms of CPU each), and a host that takes over twenty VMs with a
 * pool of four boots sixteen JVMs on the CPU the restarts need; a fixed pool size is either too
 * small for the cluster's largest host or wasted memory on a small cluster.
 *
 * <p>{@link #compute} is a pure function of the placement snapshot: for each host, its VMs are
 * placed as HA places a failed host's VMs ({@link Placement}, each placement seeing the ones
 * before, the failed host taking none), and each other host's count is kept if it is the largest
 * so far. VMs whose restart priority is "disabled", and copies of VMs HA would keep off a host,
 * are not known here: the advice can be a little high, never low for the snapshot it saw.
 *
 * <p>The leader recomputes it every few seconds ({@link HaMonitor}) and each agent reads its own
 * figure from its heartbeat acknowledgements; the agent keeps at least its configured pool and at
 * most its configured maximum. Thread-safety: instances are safe (one immutable map, replaced).
 */
public final class PoolAdvice {
  private volatile Map<String, Integer> latest = Map.of();

  /** Host name to the most VMs it would take at once if any one other host failed. */
  public static Map<String, Integer> compute(ClusterSnapshot s) {
    Map<String, Integer> advice = new TreeMap<>();
    s.hosts().forEach(h -> advice.put(h.name(), 0));
    Set<String> hosts = s.hosts().stream().map(HostView::name).collect(Collectors.toSet());
    Map<String, List<String>> vmsByHost = s.vms().stream().filter(v -> hosts.contains(v.host()))
        .collect(Collectors.groupingBy(VmView::host, TreeMap::new,
            Collectors.mapping(VmView::name, Collectors.toList())));
    vmsByHost.forEach((failed, vms) -> {
      Placement placement = Placement.of(s);
      Map<String, Integer> landed = new HashMap<>();
      for (String vm : vms.stream().sorted().toList()) {
        placement.place(vm, true).host().ifPresent(h -> landed.merge(h, 1, Integer::sum));
      }
      landed.forEach((h, n) -> advice.merge(h, n, Math::max));
    });
    return advice;
  }

  /** Replaces the advice (the leader's HA pass). */
  public void update(Map<String, Integer> advice) {
    latest = Map.copyOf(advice);
  }

  /** The advice for {@code host}, 0 when there is none (the agent then keeps its configured pool). */
  public int forHost(String host) {
    return latest.getOrDefault(host, 0);
  }
}
