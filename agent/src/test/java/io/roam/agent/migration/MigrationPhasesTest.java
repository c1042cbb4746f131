package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Issue 12: the phase accounting, from the source's instants and the destination's durations. */
class MigrationPhasesTest {
  private static final long MS = 1_000_000; // nanoseconds

  /** A migration as it happens: instants 1 s apart from an arbitrary origin of the nanosecond clock. */
  private static final MigrationPhases.SourceMarks COMPLETED = new MigrationPhases.SourceMarks(
      -5_000 * MS, -5_000 * MS + 2 * MS, -5_000 * MS + 1_802 * MS, -5_000 * MS + 1_810 * MS, -5_000 * MS + 2_810 * MS,
      -5_000 * MS + 2_811 * MS, -5_000 * MS + 2_814 * MS, -5_000 * MS + 2_816 * MS, -5_000 * MS + 2_822 * MS);

  @Test
  void eachPhaseIsTheTimeBetweenItsTwoInstants() {
    MigrationPhases p = MigrationPhases.of(COMPLETED, MigrationPhases.DestinationTimes.NONE);
    assertThat(p.ownerReadMicros()).isEqualTo(2_000);
    assertThat(p.prepareMicros()).isEqualTo(1_800_000);
    assertThat(p.connectMicros()).isEqualTo(8_000);
    assertThat(p.copyMicros()).isEqualTo(1_000_000);
    assertThat(p.lastPagesMicros()).isEqualTo(1_000);
    assertThat(p.verifyMicros()).isEqualTo(3_000);
    assertThat(p.ownershipMicros()).isEqualTo(2_000);
    assertThat(p.commitMicros()).isEqualTo(6_000);
    assertThat(p.pauseMicros()).isEqualTo(12_000);
    assertThat(p.totalMicros()).isEqualTo(2_822_000);
  }

  @Test
  void thePartsAddUpToTheWhole() {
    MigrationPhases p = MigrationPhases.of(COMPLETED, MigrationPhases.DestinationTimes.NONE);
    assertThat(p.lastPagesMicros() + p.verifyMicros() + p.ownershipMicros() + p.commitMicros())
        .isEqualTo(p.pauseMicros());
    assertThat(p.setupMicros() + p.copyMicros() + p.pauseMicros()).isEqualTo(p.totalMicros());
  }

  @Test
  void thePartsAddUpExactlyWhenTheInstantsFallBetweenMicroseconds() {
    // Each part 1.5 µs: rounding each difference down would lose a microsecond per part.
    MigrationPhases.SourceMarks odd = new MigrationPhases.SourceMarks(1_001, 2_501, 4_001, 5_501, 7_001, 8_501, 10_001,
        11_501, 13_001);
    MigrationPhases p = MigrationPhases.of(odd, MigrationPhases.DestinationTimes.NONE);
    assertThat(p.lastPagesMicros() + p.verifyMicros() + p.ownershipMicros() + p.commitMicros())
        .isEqualTo(p.pauseMicros()).isEqualTo(6);
    assertThat(p.setupMicros() + p.copyMicros() + p.pauseMicros()).isEqualTo(p.totalMicros()).isEqualTo(12);
  }

  @Test
  void theDestinationsPartsAreCarriedAsItMeasuredThemAndTheRestIsOverhead() {
    MigrationPhases.DestinationTimes d = MigrationPhases.DestinationTimes.NONE.withPrepare(3_000, 1_000_000)
        .withVerify(500).withResume(4_000, 3_500);
    MigrationPhases p = MigrationPhases.of(COMPLETED, d);
    assertThat(p.destMemoryFileMicros()).isEqualTo(3_000);
    assertThat(p.destJvmMicros()).isEqualTo(1_000_000);
    assertThat(p.prepareOverheadMicros()).isEqualTo(797_000);
    assertThat(p.destVerifyMicros()).isEqualTo(500);
    assertThat(p.destResumeMicros()).isEqualTo(4_000);
    assertThat(p.destGoMicros()).isEqualTo(3_500);
  }

  @Test
  void aPhaseNotReachedIsZeroNotNegative() {
    // Failed during the copy: never paused, never committed.
    MigrationPhases.SourceMarks failed = new MigrationPhases.SourceMarks(10 * MS, 11 * MS, 20 * MS, 21 * MS, 0, 0, 0, 0, 0);
    MigrationPhases p = MigrationPhases.of(failed, MigrationPhases.DestinationTimes.NONE);
    assertThat(p.prepareMicros()).isEqualTo(9_000);
    assertThat(p.copyMicros()).isZero();
    assertThat(p.pauseMicros()).isZero();
    assertThat(p.totalMicros()).isZero();
  }

  @Test
  void aDestinationThatReportsMoreThanTheRoundTripLeavesNoNegativeOverhead() {
    MigrationPhases p = MigrationPhases.of(COMPLETED,
        MigrationPhases.DestinationTimes.NONE.withPrepare(0, 2_000_000));
    assertThat(p.prepareOverheadMicros()).isZero();
  }

  @Test
  void aReplyWithoutTheDestinationsTimesReadsAsZero() {
    assertThat(new MigrationConnection.Reply(Frames.VERIFIED, new byte[0]).longAt(0)).isZero();
    byte[] body = java.nio.ByteBuffer.allocate(16).putLong(7).putLong(9).array();
    MigrationConnection.Reply r = new MigrationConnection.Reply(Frames.COMMITTED, body);
    assertThat(r.longAt(0)).isEqualTo(7);
    assertThat(r.longAt(1)).isEqualTo(9);
    assertThat(r.longAt(2)).isZero();
  }
}
