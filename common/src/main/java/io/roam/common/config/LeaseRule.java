package io.roam.common.config;

import java.util.Optional;

/**
 * The timing rule that keeps one running copy of a VM when its host is cut off (docs/DESIGN.md,
 * "Time"): the ZooKeeper session timeout and the master's failover delay must each be at least the
 * VM lease. Pure checks; each problem is one line naming the settings to change.
 */
public final class LeaseRule {
  private LeaseRule() {}

  /** The master's side: HA may restart a VM elsewhere only after every old copy's lease ran out. */
  public static Optional<String> failoverDelayProblem(long failoverDelayMs, long leaseMs) {
    if (failoverDelayMs >= leaseMs) {
      return Optional.empty();
    }
    return Optional.of("ha.failover-delay-ms (" + failoverDelayMs + ") must be at least the VM lease agent.lease-ms ("
        + leaseMs + "): a VM of a cut-off host may run until its lease ends, and HA must not restart it before then");
  }

  /**
   * Either side: the session ZooKeeper actually granted (it may clamp the asked-for timeout to its
   * own bounds, 2 to 20 ticks) must be at least the lease.
   */
  public static Optional<String> sessionTimeoutProblem(int negotiatedMs, long leaseMs) {
    if (negotiatedMs >= leaseMs) {
      return Optional.empty();
    }
    return Optional.of("the ZooKeeper session timeout the server granted (" + negotiatedMs + " ms) is shorter than the"
        + " VM lease agent.lease-ms (" + leaseMs + " ms): raise zk.session-timeout-ms, or the server's maxSessionTimeout"
        + " / tickTime, or lower the lease");
  }
}
