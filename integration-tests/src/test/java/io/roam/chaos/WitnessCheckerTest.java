package io.roam.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The witness rule: runs of different instances of a VM must not intersect. */
class WitnessCheckerTest {
  @Test
  void runsOfOneInstanceOrOneAfterAnotherPass() {
    List<WitnessChecker.Run> runs = WitnessChecker.parse(List.of("host1 10 100 200 5", "host1 10 150 250 5",
        "host2 20 251 300 3", "host2 20 30", "torn"));
    assertThat(WitnessChecker.overlaps("kv0", runs)).isEmpty();
  }

  @Test
  void twoInstancesWhoseRunsIntersectAreFound() {
    List<WitnessChecker.Run> runs = WitnessChecker.parse(List.of("host1 10 100 200 5", "host2 20 300 400 3",
        "host1 10 350 360 1"));
    assertThat(WitnessChecker.overlaps("kv0", runs)).singleElement()
        .satisfies(v -> assertThat(v.evidence()).contains("host2/20").contains("host1/10"));
  }

  @Test
  void oldSamplesSpanFromFirstToLast() {
    List<WitnessChecker.Run> runs = WitnessChecker.parse(List.of("host1 10 100 1", "host2 20 150 1", "host1 10 200 2"));
    assertThat(WitnessChecker.overlaps("kv0", runs)).hasSize(1);
  }
}
