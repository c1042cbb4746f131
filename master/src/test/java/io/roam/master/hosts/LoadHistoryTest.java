package io.roam.master.hosts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.roam.proto.HostHeartbeat;
import io.roam.proto.VmLoad;
import org.junit.jupiter.api.Test;

/** CPU demand from the heartbeats: CPU time used plus time waited for a CPU, per second. */
class LoadHistoryTest {
  private final LoadHistory load = new LoadHistory(60_000);

  private void beat(long atMs, String vm, double usedSeconds, double waitedSeconds) {
    load.record(HostHeartbeat.newBuilder().setHost("h1").addVms(VmLoad.newBuilder().setName(vm)
        .setCpuNanos((long) (usedSeconds * 1e9)).setCpuWaitNanos((long) (waitedSeconds * 1e9))).build(), atMs);
  }

  @Test
  void aVmStarvedOnACrowdedHostShowsWhatItAskedForNotWhatItGot() {
    // Over 10 s the VM got a quarter of a core and waited for a CPU the rest of the time it wanted one.
    for (int s = 0; s <= 10; s++) {
      beat(s * 1000L, "starved", s * 0.25, s * 0.75);
      beat(s * 1000L, "served", s * 1.0, 0);
    }
    assertThat(load.cpuDemand("starved", 10_000, 10_000)).isCloseTo(1.0, within(1e-9));
    assertThat(load.cpuDemand("served", 10_000, 10_000)).isCloseTo(1.0, within(1e-9));
    assertThat(load.totalDemand(10_000, 10_000)).isCloseTo(2.0, within(1e-9));
  }

  @Test
  void aVmThatReportsNoWaitIsMeasuredByTheCpuItUsed() {
    for (int s = 0; s <= 4; s++) {
      beat(s * 1000L, "old-guest", s * 0.5, 0);
    }
    assertThat(load.cpuDemand("old-guest", 4_000, 4_000)).isCloseTo(0.5, within(1e-9));
  }

  @Test
  void aProcessRestartedInPlaceStartsItsDemandAgain() {
    beat(0, "vm", 100, 50);
    beat(1000, "vm", 101, 50.5);
    beat(2000, "vm", 0.2, 0.1); // a new process: its counters start at zero
    beat(3000, "vm", 0.4, 0.2);
    assertThat(load.cpuDemand("vm", 3_000, 10_000)).isCloseTo(0.3, within(1e-9));
  }
}
