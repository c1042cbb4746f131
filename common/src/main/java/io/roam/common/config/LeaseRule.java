package io.roam.common.config;

import java.util.Optional;

/**
 * The timing rule that keeps one running copy of a VM when its host is cut off (docs/DESIGN.md,
 * "Time"). Let L be the VM lease ({@code agent.lease-ms}), T the ZooKeeper session timeout the
 * server <em>granted</em> (it clamps the asked-for {@code zk.session-timeout-ms} to 2 to 20 of its
 * ticks, or to its own min/maxSessionTimeout), F the master's failover delay
 * ({@code ha.failover-delay-ms}), and C the moment the cut-off agent's last successful ZooKeeper
 * round trip was sent:
 *
 * <ul>
 *   <li>The agent writes lease deadlines anchored at C, never later than C + L, so no copy on that
 *       host steps after C + L.
 *   <li>The server heard from the session at or after C, so it expires it no earlier than C + T,
 *       and the leader restarts the VMs no earlier than F after it saw that: C + T + F.
 * </ul>
 *
 * <p>The rule: T &gt;= L (checked by every daemon on the session it was granted) and F &gt;= L/2
 * (checked by masters), so T + F &gt;= L + {@link #marginMs margin}, the margin being half a lease.
 * It covers what the bare inequality does not: the end of a step that passed its lease check just
 * before the deadline, the scheduling of that check, and the three clocks (agent, ZooKeeper server,
 * leader) disagreeing in rate over the interval (each measures its own interval on its monotonic
 * clock; drift is parts per million). Pure functions; each problem is one line naming the
 * settings to change. Thread-safe (stateless).
 */
public final class LeaseRule {
  private LeaseRule() {}

  /** The margin the rule keeps between the last step a cut-off copy may take and the earliest restart. */
  public static long marginMs(long leaseMs) {
    return (leaseMs + 1) / 2;
  }

  /**
   * The master's side, checkable before anything starts: HA may restart a VM elsewhere only once
   * the session timeout (at least a lease, checked separately) plus this delay cover the lease and
   * the margin.
   */
  public static Optional<String> failoverDelayProblem(long failoverDelayMs, long leaseMs) {
    if (failoverDelayMs >= marginMs(leaseMs)) {
      return Optional.empty();
    }
    return Optional.of("ha.failover-delay-ms (" + failoverDelayMs + ") must be at least half the VM lease agent.lease-ms ("
        + leaseMs + "), " + marginMs(leaseMs) + " ms: a VM of a cut-off host may run until its lease ends, and HA must"
        + " not restart it before then plus that margin");
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
        + " VM lease agent.lease-ms (" + leaseMs + " ms): raise zk.session-timeout-ms, or the server's"
        + " minSessionTimeout / tickTime, or lower the lease");
  }

  /** The whole rule as a master sees it once connected: the first problem, or empty when it holds. */
  public static Optional<String> check(long leaseMs, int grantedSessionMs, long failoverDelayMs) {
    Optional<String> session = sessionTimeoutProblem(grantedSessionMs, leaseMs);
    return session.isPresent() ? session : failoverDelayProblem(failoverDelayMs, leaseMs);
  }

  /**
   * The rule with this process's numbers, as one line for the start-up log: when a cut-off host's
   * VMs have stopped, when HA may restart them, and the margin between the two.
   */
  public static String statement(long leaseMs, int grantedSessionMs, long failoverDelayMs) {
    long restart = grantedSessionMs + failoverDelayMs;
    return "lease rule: a cut-off host's VMs stop within the lease, " + leaseMs + " ms after its last ZooKeeper"
        + " contact; HA restarts them no earlier than session " + grantedSessionMs + " + failover delay "
        + failoverDelayMs + " = " + restart + " ms after it: margin " + (restart - leaseMs) + " ms (at least "
        + marginMs(leaseMs) + ", half a lease)";
  }

  /** The agent's statement: it knows its session and lease, not the masters' failover delay. */
  public static String agentStatement(long leaseMs, int grantedSessionMs) {
    return "lease rule: this host's VMs stop within the lease, " + leaseMs + " ms after its last ZooKeeper contact;"
        + " its session (" + grantedSessionMs + " ms granted) outlives that, and masters wait at least "
        + marginMs(leaseMs) + " ms more (ha.failover-delay-ms >= half a lease)";
  }
}
