package io.roam.master.drs.model;

import java.util.List;

/**
 * Everything the planners look at, frozen at one instant. The planners are pure functions of it.
 *
 * @param inFlight migrations under way: their VMs are not moved again, and they count against the
 *     per-host and per-cluster caps
 */
public record ClusterSnapshot(long nowMs, List<HostView> hosts, List<VmView> vms, List<Rule> rules,
    List<InFlight> inFlight) {
  public ClusterSnapshot {
    hosts = List.copyOf(hosts);
    vms = List.copyOf(vms);
    rules = List.copyOf(rules);
    inFlight = List.copyOf(inFlight);
  }

  public static ClusterSnapshot of(long nowMs, List<HostView> hosts, List<VmView> vms) {
    return new ClusterSnapshot(nowMs, hosts, vms, List.of(), List.of());
  }

  /** A migration under way. */
  public record InFlight(String vm, String from, String to) {}
}
