package io.roam.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The lease chain's timing rule (DESIGN.md "Time"): the granted session at least the lease, the
 * failover delay at least half a lease, so that session + failover delay >= lease + margin.
 */
class LeaseRuleTest {
  @Test
  void theDefaultsKeepTheMargin() {
    long lease = RoamKeys.AGENT_LEASE_MS.defaultValue();
    int session = RoamKeys.ZK_SESSION_TIMEOUT_MS.defaultValue();
    long failover = RoamKeys.HA_FAILOVER_DELAY_MS.defaultValue();
    assertThat(LeaseRule.check(lease, session, failover)).isEmpty();
    assertThat(session + failover - lease).isGreaterThanOrEqualTo(LeaseRule.marginMs(lease));
  }

  @Test
  void theMarginIsHalfALeaseRoundedUp() {
    assertThat(LeaseRule.marginMs(1_500)).isEqualTo(750);
    assertThat(LeaseRule.marginMs(3_001)).isEqualTo(1_501);
  }

  @Test
  void aFailoverDelayShorterThanHalfALeaseIsOneLineNamingBothSettings() {
    assertThat(LeaseRule.failoverDelayProblem(750, 1_500)).isEmpty();
    assertThat(LeaseRule.failoverDelayProblem(749, 1_500)).hasValueSatisfying(p -> assertThat(p)
        .startsWith("ha.failover-delay-ms (749) must be at least half the VM lease agent.lease-ms (1500), 750 ms")
        .doesNotContain("\n"));
  }

  @Test
  void aGrantedSessionShorterThanTheLeaseIsRefused() {
    assertThat(LeaseRule.sessionTimeoutProblem(1_500, 1_500)).isEmpty();
    assertThat(LeaseRule.sessionTimeoutProblem(1_000, 1_500)).hasValueSatisfying(p -> assertThat(p)
        .contains("(1000 ms)", "agent.lease-ms (1500 ms)").doesNotContain("\n"));
  }

  @Test
  void theWholeRuleNamesTheFirstBrokenHalf() {
    // Fixtures: (lease, granted session, failover delay) -> first problem or none.
    assertThat(LeaseRule.check(1_500, 1_500, 750)).isEmpty();
    assertThat(LeaseRule.check(3_000, 4_000, 3_000)).isEmpty(); // the old defaults still hold
    assertThat(LeaseRule.check(1_500, 4_000, 0)).get().asString().startsWith("ha.failover-delay-ms (0)");
    assertThat(LeaseRule.check(1_500, 1_000, 750)).get().asString().startsWith("the ZooKeeper session timeout");
    // Both broken: the session is named first (it is the one the server may have changed).
    assertThat(LeaseRule.check(1_500, 1_000, 0)).get().asString().startsWith("the ZooKeeper session timeout");
  }

  @Test
  void theStatementSaysWhenCopiesStopWhenHaRestartsAndTheMargin() {
    assertThat(LeaseRule.statement(1_500, 1_500, 750)).isEqualTo("lease rule: a cut-off host's VMs stop within the"
        + " lease, 1500 ms after its last ZooKeeper contact; HA restarts them no earlier than session 1500 + failover"
        + " delay 750 = 2250 ms after it: margin 750 ms (at least 750, half a lease)");
    assertThat(LeaseRule.agentStatement(1_500, 1_500)).contains("1500 ms granted", "at least 750 ms more");
  }

  @Test
  void theMasterReadsTheLeaseFromTheSameKeyAsTheAgents() {
    assertThat(RoamKeys.MASTER).contains(RoamKeys.AGENT_LEASE_MS);
    assertThat(RoamKeys.AGENT).contains(RoamKeys.AGENT_LEASE_MS);
  }
}
