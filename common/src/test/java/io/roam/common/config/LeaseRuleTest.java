package io.roam.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The lease chain's timing rule: session timeout and failover delay each at least the lease. */
class LeaseRuleTest {
  @Test
  void aFailoverDelayShorterThanTheLeaseIsOneLineNamingBothSettings() {
    assertThat(LeaseRule.failoverDelayProblem(3_000, 3_000)).isEmpty();
    assertThat(LeaseRule.failoverDelayProblem(2_999, 3_000)).hasValueSatisfying(p -> assertThat(p)
        .startsWith("ha.failover-delay-ms (2999) must be at least the VM lease agent.lease-ms (3000)")
        .doesNotContain("\n"));
  }

  @Test
  void aGrantedSessionShorterThanTheLeaseIsRefused() {
    assertThat(LeaseRule.sessionTimeoutProblem(4_000, 3_000)).isEmpty();
    assertThat(LeaseRule.sessionTimeoutProblem(2_000, 3_000)).hasValueSatisfying(p -> assertThat(p)
        .contains("(2000 ms)", "agent.lease-ms (3000 ms)").doesNotContain("\n"));
  }

  @Test
  void theMasterReadsTheLeaseFromTheSameKeyAsTheAgents() {
    assertThat(RoamKeys.MASTER).contains(RoamKeys.AGENT_LEASE_MS);
    assertThat(RoamKeys.AGENT).contains(RoamKeys.AGENT_LEASE_MS);
  }
}
