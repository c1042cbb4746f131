package io.roam.master.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.master.hosts.HeartbeatReports.ReportedVm;
import io.roam.proto.VmLoad;
import io.roam.proto.VmState;
import org.junit.jupiter.api.Test;

class StallWatchTest {
  private static ReportedVm running(long counter, long counterSinceMs) {
    return new ReportedVm(VmLoad.newBuilder().setState(VmState.VM_STATE_RUNNING).setHeartbeat(counter).build(), 0,
        counterSinceMs);
  }

  @Test
  void aRunningVmWhoseCounterStaysPutIsHungAfterTheTimeout() {
    StallWatch w = new StallWatch(10_000);
    assertThat(w.stuckFor(running(5, 0), 9_999, 0)).isEqualTo(-1);
    assertThat(w.stuckFor(running(5, 0), 10_000, 0)).isEqualTo(10_000);
  }

  @Test
  void evidenceOlderThanTheFloorDoesNotCount() {
    StallWatch w = new StallWatch(10_000);
    assertThat(w.stuckFor(running(5, 0), 15_000, 8_000)).isEqualTo(-1);
    assertThat(w.stuckFor(running(5, 0), 18_000, 8_000)).isEqualTo(10_000);
  }

  @Test
  void vmsThatAreNotExpectedToStepAreNeverHung() {
    StallWatch w = new StallWatch(1_000);
    VmLoad run = running(5, 0).load();
    for (VmLoad v : new VmLoad[] {run.toBuilder().setState(VmState.VM_STATE_PAUSED).build(),
        run.toBuilder().setLeaseExpired(true).build(), run.toBuilder().setMigrationId("m1").build()}) {
      assertThat(w.stuckFor(new ReportedVm(v, 0, 0), 60_000, 0)).isEqualTo(-1);
    }
  }

  @Test
  void zeroTurnsTheWatchOff() {
    assertThat(new StallWatch(0).stuckFor(running(5, 0), 1_000_000, 0)).isEqualTo(-1);
  }
}
