package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.agent.migration.ConvergencePolicy.AnotherRound;
import io.roam.agent.migration.ConvergencePolicy.Decision;
import io.roam.agent.migration.ConvergencePolicy.GiveUp;
import io.roam.agent.migration.ConvergencePolicy.Progress;
import io.roam.agent.migration.ConvergencePolicy.RaiseThrottle;
import io.roam.agent.migration.ConvergencePolicy.SwitchOver;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The convergence policy as a pure function: one fixture per rule, and whole migrations walked round by round. */
class ConvergencePolicyTest {
  private static final long MIB = 1 << 20;
  private static final double MB_S = 1e6;
  private static final long NONE = Progress.NO_PREVIOUS_ROUND;
  /** 300 ms downtime limit, no bandwidth limit, auto-converge, 600 s at most. */
  private static final MigrationParams AUTO = MigrationParams.DEFAULTS;
  private static final MigrationParams NO_AUTO = new MigrationParams(300, 0, false, 600_000, false);

  /** After {@code round}: {@code dirty} bytes left (previously {@code previous}) at {@code bandwidth}, 1 s a round. */
  private static Progress after(int round, long dirty, long previous, double bandwidth, int throttle, long elapsedMs) {
    return new Progress(round, dirty, previous, bandwidth, 1_000_000_000L, throttle, elapsedMs);
  }

  static Stream<Arguments> decisions() {
    return Stream.of(
        Arguments.of("fits the limit: switch over with the expected downtime", AUTO,
            after(3, 10 * MIB, 40 * MIB, 100 * MB_S, 0, 5_000), new SwitchOver(104)),
        Arguments.of("exactly the limit still fits", AUTO,
            after(3, 30_000_000, 40 * MIB, 100 * MB_S, 0, 5_000), new SwitchOver(300)),
        Arguments.of("nothing dirty after round 0: switch over at once", AUTO,
            after(0, 0, NONE, 0, 0, 100), new SwitchOver(0)),
        Arguments.of("too much left but shrinking: another round, throttle unchanged", AUTO,
            after(2, 60 * MIB, 100 * MIB, 100 * MB_S, 0, 5_000), new AnotherRound()),
        Arguments.of("round 0 has nothing to compare with: another round", AUTO,
            after(0, 60 * MIB, NONE, 100 * MB_S, 0, 5_000), new AnotherRound()),
        Arguments.of("stopped shrinking: throttle 20 % first", AUTO,
            after(2, 95 * MIB, 100 * MIB, 100 * MB_S, 0, 5_000), new RaiseThrottle(20)),
        Arguments.of("grew: throttle too", AUTO,
            after(2, 120 * MIB, 100 * MIB, 100 * MB_S, 0, 5_000), new RaiseThrottle(20)),
        Arguments.of("still stuck: 10 points more", AUTO,
            after(3, 95 * MIB, 100 * MIB, 100 * MB_S, 20, 5_000), new RaiseThrottle(30)),
        Arguments.of("stuck at 90 %: capped at 99 %, not 100 %", AUTO,
            after(10, 95 * MIB, 100 * MIB, 100 * MB_S, 90, 5_000), new RaiseThrottle(99)),
        Arguments.of("stuck at 99 %: nothing left to raise, another round", AUTO,
            after(11, 95 * MIB, 100 * MIB, 100 * MB_S, 99, 5_000), new AnotherRound()),
        Arguments.of("shrinking while throttled: the throttle stays", AUTO,
            after(5, 50 * MIB, 100 * MIB, 100 * MB_S, 40, 5_000), new AnotherRound()),
        Arguments.of("past the maximum total time: give up", AUTO,
            after(5, 95 * MIB, 100 * MIB, 100 * MB_S, 40, 600_001),
            new GiveUp("did not finish within the maximum total time of 600 s")),
        Arguments.of("past the maximum total time even though the rest would fit: give up", AUTO,
            after(5, 0, 100 * MIB, 100 * MB_S, 0, 600_001),
            new GiveUp("did not finish within the maximum total time of 600 s")),
        Arguments.of("at the maximum total time, not past it: still decides", AUTO,
            after(5, 0, 100 * MIB, 100 * MB_S, 0, 600_000), new SwitchOver(0)),
        Arguments.of("without auto-converge a stuck round is never throttled", NO_AUTO,
            after(2, 95 * MIB, 100 * MIB, 100 * MB_S, 0, 5_000), new AnotherRound()),
        Arguments.of("without auto-converge: the 30th round gives up", NO_AUTO,
            after(29, 95 * MIB, 100 * MIB, 100 * MB_S, 0, 5_000), new GiveUp("did not converge: the VM dirties"
                + " 100 MB/s and the link carries 100 MB/s; enable auto-converge or raise the downtime limit")),
        Arguments.of("without auto-converge: the 29th round goes on", NO_AUTO,
            after(28, 95 * MIB, 100 * MIB, 100 * MB_S, 0, 5_000), new AnotherRound()),
        Arguments.of("without auto-converge a round that fits still switches over on the 30th", NO_AUTO,
            after(29, MIB, 100 * MIB, 100 * MB_S, 0, 5_000), new SwitchOver(10)),
        Arguments.of("no bandwidth measured yet: any dirty byte is too much", AUTO,
            after(0, 4096, NONE, ConvergencePolicy.NO_ESTIMATE, 0, 100), new AnotherRound()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("decisions")
  void decides(String rule, MigrationParams params, Progress progress, Decision expected) {
    assertThat(new ConvergencePolicy(params).decide(progress)).isEqualTo(expected);
  }

  @Test
  void theExpectedDowntimeAndDirtyRateComeFromTheDirtyBytesTheEstimateAndTheRoundsTime() {
    Progress p = new Progress(1, 8 * MIB, NONE, 80 * MB_S, 500_000_000L, 0, 1_000);
    assertThat(p.expectedDowntimeMillis()).isEqualTo(104);
    assertThat(p.dirtyPagesPerSecond()).isEqualTo(4096.0);
    Progress untimed = new Progress(0, 8 * MIB, NONE, 0, 0, 0, 0);
    assertThat(untimed.dirtyPagesPerSecond()).as("no round timed yet").isZero();
    assertThat(untimed.expectedDowntimeMillis()).as("no estimate: 1 byte/s, never a division by zero")
        .isEqualTo(8 * MIB * 1000);
  }

  static Stream<Arguments> estimates() {
    return Stream.of(
        Arguments.of("the first round sets the estimate", AUTO, ConvergencePolicy.NO_ESTIMATE, 100 * MIB, 1_000_000_000L,
            100.0 * MIB),
        Arguments.of("a first round of zero pages only measures nothing", AUTO, ConvergencePolicy.NO_ESTIMATE, 0L,
            400_000_000L, 0.0),
        Arguments.of("a round of 1 MiB or more sets it, also lower", AUTO, 500 * MB_S, 2 * MIB, 100_000_000L,
            20.0 * MIB),
        Arguments.of("a short round that measured slower keeps it (its time is mostly the round trip)", AUTO,
            500 * MB_S, 64 * 1024L, 2_000_000L, 500 * MB_S),
        Arguments.of("a short round that measured faster raises it", AUTO, 0.5 * MB_S, 512 * 1024L, 1_000_000L,
            512.0 * 1024 * 1000),
        Arguments.of("a short round after a first round of zero pages sets it", AUTO, ConvergencePolicy.NO_ESTIMATE,
            40_960L, 1_000_000L, 40_960_000.0),
        Arguments.of("an empty round keeps it", AUTO, 300 * MB_S, 0L, 1_000_000L, 300 * MB_S),
        Arguments.of("never above the bandwidth limit (a burst within the pacer's credit is not the link)",
            new MigrationParams(300, 20_000_000, true, 600_000, false), 20 * MB_S, 100 * 1024L, 1_000_000L,
            20 * MB_S),
        Arguments.of("never above the bandwidth limit, also for a long round",
            new MigrationParams(300, 20_000_000, true, 600_000, false), ConvergencePolicy.NO_ESTIMATE, 100 * MIB,
            4_000_000_000L, 20 * MB_S));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("estimates")
  void estimatesBandwidth(String rule, MigrationParams params, double before, long roundBytes, long roundNanos,
      double expected) {
    assertThat(new ConvergencePolicy(params).estimateBandwidth(before, roundBytes, roundNanos))
        .isCloseTo(expected, org.assertj.core.data.Percentage.withPercentage(1e-9));
  }

  /** One round as the source sees it: page bytes sent, its time, and the bytes dirtied meanwhile. */
  private record Round(long bytes, long nanos, long dirtyAfter) {}

  /**
   * Walks a migration through the policy as {@link Migrator} does, with a fixed time per round:
   * the decisions, in order, until a switchover or a give-up or the rounds run out.
   */
  private static List<Decision> walk(MigrationParams params, List<Round> rounds, long millisPerRound) {
    ConvergencePolicy policy = new ConvergencePolicy(params);
    double bandwidth = ConvergencePolicy.NO_ESTIMATE;
    long previous = NONE;
    int throttle = 0;
    List<Decision> decisions = new ArrayList<>();
    for (int round = 0; round < rounds.size(); round++) {
      Round r = rounds.get(round);
      bandwidth = policy.estimateBandwidth(bandwidth, r.bytes(), r.nanos());
      Decision d = policy.decide(new Progress(round, r.dirtyAfter(), previous, bandwidth, r.nanos(), throttle,
          (round + 1) * millisPerRound));
      decisions.add(d);
      if (d instanceof SwitchOver || d instanceof GiveUp) {
        break;
      }
      if (d instanceof RaiseThrottle t) {
        throttle = t.percent();
      }
      previous = r.dirtyAfter();
    }
    return decisions;
  }

  @Test
  void aWorkingSetThatNeverShrinksIsThrottledStepByStepToNinetyNinePercentAndThenLeftThere() {
    List<Round> rounds = new ArrayList<>();
    rounds.add(new Round(256 * MIB, 2_560_000_000L, 64 * MIB)); // 100 MiB/s
    for (int i = 0; i < 12; i++) {
      rounds.add(new Round(64 * MIB, 640_000_000L, 64 * MIB));
    }
    assertThat(walk(AUTO, rounds, 1_000)).containsExactly(new AnotherRound(), new RaiseThrottle(20),
        new RaiseThrottle(30), new RaiseThrottle(40), new RaiseThrottle(50), new RaiseThrottle(60),
        new RaiseThrottle(70), new RaiseThrottle(80), new RaiseThrottle(90), new RaiseThrottle(99), new AnotherRound(),
        new AnotherRound(), new AnotherRound());
  }

  @Test
  void throttlingThatShrinksTheRoundsEndsInASwitchover() {
    List<Round> rounds = List.of(new Round(256 * MIB, 2_560_000_000L, 64 * MIB), // 100 MiB/s: 640 ms left
        new Round(64 * MIB, 640_000_000L, 64 * MIB), // stuck: throttle 20 %
        new Round(64 * MIB, 640_000_000L, 40 * MIB), // shrank: 400 ms left, throttle stays
        new Round(40 * MIB, 400_000_000L, 38 * MIB), // stuck again: 30 %
        new Round(38 * MIB, 380_000_000L, 20_000_000)); // 190.7 ms left: fits
    assertThat(walk(AUTO, rounds, 1_000)).containsExactly(new AnotherRound(), new RaiseThrottle(20),
        new AnotherRound(), new RaiseThrottle(30), new SwitchOver(190));
  }

  @Test
  void withoutAutoConvergeAStuckMigrationGivesUpAfterThirtyRoundsUnthrottled() {
    List<Round> rounds = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      rounds.add(new Round(64 * MIB, 640_000_000L, 64 * MIB));
    }
    List<Decision> decisions = walk(NO_AUTO, rounds, 1_000);
    assertThat(decisions).hasSize(MigrationParams.MAX_ROUNDS_WITHOUT_AUTO_CONVERGE);
    assertThat(decisions.subList(0, decisions.size() - 1)).containsOnly(new AnotherRound());
    assertThat(decisions.get(decisions.size() - 1)).isInstanceOf(GiveUp.class);
    assertThat(((GiveUp) decisions.get(decisions.size() - 1)).reason()).startsWith("did not converge");
  }

  @Test
  void aMigrationThatKeepsGoingGivesUpAtTheMaximumTotalTime() {
    List<Round> rounds = new ArrayList<>();
    for (int i = 0; i < 700; i++) {
      rounds.add(new Round(64 * MIB, 640_000_000L, 64 * MIB));
    }
    List<Decision> decisions = walk(AUTO, rounds, 1_000);
    assertThat(decisions).hasSize(601); // the decision after 601 s is the first past 600 s
    assertThat(decisions.get(600)).isEqualTo(new GiveUp("did not finish within the maximum total time of 600 s"));
  }

  /**
   * An idle VM whose first round was mostly zero pages: scanning them took the round's time while
   * only 256 KiB was sent, so round 0 measures 0.65 MB/s. The VM keeps 600 KiB dirty, sent each
   * round in 2.5 ms. The estimate must follow the short rounds up, or the 600 KiB look like a
   * second of downtime forever: the VM is throttled to 99 % for nothing and the migration runs
   * into its maximum total time.
   */
  @Test
  void anIdleVmWhoseFirstRoundWasMostlyZeroPagesSwitchesOverAfterOneShortRound() {
    List<Round> rounds = new ArrayList<>();
    rounds.add(new Round(256 * 1024, 400_000_000L, 600 * 1024));
    for (int i = 0; i < 20; i++) {
      rounds.add(new Round(600 * 1024, 2_500_000L, 600 * 1024));
    }
    assertThat(walk(AUTO, rounds, 100)).containsExactly(new AnotherRound(), new SwitchOver(2));
  }

  @Test
  void aFirstRoundOfZeroPagesOnlyIsFollowedByTheFirstRoundThatSendsSomething() {
    List<Round> rounds = List.of(new Round(0, 300_000_000L, 40_960), new Round(40_960, 1_500_000L, 40_960));
    assertThat(walk(AUTO, rounds, 100)).containsExactly(new AnotherRound(), new SwitchOver(1));
  }
}
