package io.roam.agent.fencing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TimingRuleTest {
  @Test
  void anAgentRefusesASessionTimeoutShorterThanTheLease() {
    assertThat(TimingRule.checkAgent(4_000, 3_000)).isEmpty();
    assertThat(TimingRule.checkAgent(3_000, 3_000)).isEmpty();
    // A server whose maxSessionTimeout cut the 4 s asked for down to 2 s.
    assertThat(TimingRule.checkAgent(2_000, 3_000)).hasValueSatisfying(line -> assertThat(line)
        .startsWith("the ZooKeeper session timeout granted by the server is 2000 ms, shorter than the VM lease of 3000 ms")
        .doesNotContain("\n"));
  }
}
