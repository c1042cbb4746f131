package io.roam.master.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The simulator targets, on the scenarios the README quotes, over several seeds. */
class SimulatorTest {
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void aSteadyNoisyDayHasNoPingPongAndStaysBalanced(long seed) {
    SimReport r = Simulator.run(Scenarios.steady(seed));
    assertThat(r.pingPongs()).isZero();
    assertThat(r.meanImbalance()).isLessThan(0.10); // threshold 3's target
    assertThat(r.migrations()).isLessThan(20); // a handful to balance the start, then quiet
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void dpmSavesAThirdOfHostHoursOnADayNightCurveWithoutRunningShort(long seed) {
    SimReport r = Simulator.run(Scenarios.dayNight(seed));
    assertThat(r.savedShare()).isGreaterThanOrEqualTo(0.30);
    assertThat(r.longestOverloadMinutes()).isLessThanOrEqualTo(5); // the power-on window
    assertThat(r.powerOffs()).isPositive();
    assertThat(r.powerOns()).isPositive();
    assertThat(r.pingPongs()).isZero();
  }

  @Test
  void theSameConfigurationGivesTheSameRun() {
    SimReport a = Simulator.run(Scenarios.dayNight(9));
    SimReport b = Simulator.run(Scenarios.dayNight(9));
    assertThat(a.migrations()).isEqualTo(b.migrations());
    assertThat(a.hostHoursOn()).isEqualTo(b.hostHoursOn());
    assertThat(a.imbalance()).usingRecursiveComparison().isEqualTo(b.imbalance());
  }

  @Test
  void withoutDpmEveryHostStaysOn() {
    SimReport r = Simulator.run(Scenarios.steady(1));
    assertThat(r.hostHoursOn()).isEqualTo(r.hostHoursAlwaysOn());
  }
}
