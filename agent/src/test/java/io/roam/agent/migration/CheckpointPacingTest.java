package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.agent.migration.CheckpointPacing.State;
import io.roam.agent.migration.CheckpointPacing.Step;
import org.junit.jupiter.api.Test;

/** Fixtures for every rule of FT's checkpoint pacing. */
class CheckpointPacingTest {
  private static final long MS = 1000; // transfer times are in microseconds

  @Test
  void aCheckpointThatKeepsUpChangesNothingAndSaysNothing() {
    Step s = CheckpointPacing.after(20, State.start(20), 3 * MS);
    assertThat(s.next()).isEqualTo(new State(20, 0, 1));
    assertThat(s.change()).isNull();
  }

  @Test
  void aCheckpointSlowerThanItsIntervalDoublesTheIntervalAndSaysWhy() {
    Step s = CheckpointPacing.after(20, State.start(20), 35 * MS);
    assertThat(s.next()).isEqualTo(new State(40, 0, 0));
    assertThat(s.change()).contains("35.0 ms", "20 ms interval", "now 40 ms", "configured 20 ms");
  }

  @Test
  void theIntervalStopsAtEightTimesTheConfiguredOneAtMostOneSecond() {
    assertThat(CheckpointPacing.longestMs(20)).isEqualTo(160);
    assertThat(CheckpointPacing.longestMs(200)).isEqualTo(1_000);
    assertThat(CheckpointPacing.longestMs(5_000)).isEqualTo(5_000); // never shorter than configured
    State s = State.start(20);
    for (int i = 0; i < 10; i++) {
      s = CheckpointPacing.after(20, s, 10_000 * MS).next();
    }
    assertThat(s.intervalMs()).isEqualTo(160);
    assertThat(CheckpointPacing.after(20, new State(120, 0, 0), 500 * MS).next().intervalMs()).isEqualTo(160);
  }

  @Test
  void behindAtTheLongestIntervalThrottlesTheVmInStepsUpToItsLimit() {
    Step first = CheckpointPacing.after(20, new State(160, 0, 0), 200 * MS);
    assertThat(first.next()).isEqualTo(new State(160, 20, 0));
    assertThat(first.change()).contains("longest interval (160 ms)", "throttling the VM to 20 %");
    State s = first.next();
    for (int i = 0; i < 10; i++) {
      s = CheckpointPacing.after(20, s, 200 * MS).next();
    }
    assertThat(s.throttlePercent()).isEqualTo(CheckpointPacing.MAX_THROTTLE_PERCENT);
    Step atLimit = CheckpointPacing.after(20, s, 200 * MS);
    assertThat(atLimit.next()).isEqualTo(new State(160, 80, 0));
    assertThat(atLimit.change()).isNull(); // said when the limit was reached, not every checkpoint
  }

  @Test
  void aCalmStreakLiftsTheThrottleFirstThenShortensTheIntervalBackToTheConfiguredOne() {
    State s = new State(160, 40, 0);
    Step step = null;
    for (int i = 0; i < CheckpointPacing.CALM_STREAK; i++) {
      step = CheckpointPacing.after(20, s, 1 * MS);
      s = step.next();
      if (i < CheckpointPacing.CALM_STREAK - 1) {
        assertThat(step.change()).isNull();
      }
    }
    assertThat(s).isEqualTo(new State(160, 20, 0));
    assertThat(step.change()).contains("throttle now 20 %");
    s = calm(s, CheckpointPacing.CALM_STREAK);
    assertThat(s).isEqualTo(new State(160, 0, 0));
    s = calm(s, CheckpointPacing.CALM_STREAK);
    assertThat(s.intervalMs()).isEqualTo(80);
    s = calm(s, 2 * CheckpointPacing.CALM_STREAK);
    assertThat(s.intervalMs()).isEqualTo(20);
    Step last = CheckpointPacing.after(20, new State(40, 0, CheckpointPacing.CALM_STREAK - 1), 1 * MS);
    assertThat(last.change()).contains("now 20 ms (as configured)");
    // At the configured interval with no throttle, calm is just calm.
    assertThat(calm(new State(20, 0, 0), 100)).isEqualTo(new State(20, 0, CheckpointPacing.CALM_STREAK));
  }

  @Test
  void aCheckpointBetweenAQuarterAndAWholeIntervalBreaksTheStreakButChangesNothing() {
    Step s = CheckpointPacing.after(20, new State(80, 20, 7), 30 * MS);
    assertThat(s.next()).isEqualTo(new State(80, 20, 0));
    assertThat(s.change()).isNull();
  }

  private static State calm(State s, int checkpoints) {
    for (int i = 0; i < checkpoints; i++) {
      s = CheckpointPacing.after(20, s, 1 * MS).next();
    }
    return s;
  }
}
