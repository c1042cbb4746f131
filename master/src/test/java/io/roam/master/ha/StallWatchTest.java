package io.roam.master.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.proto.VmInfo;
import io.roam.proto.VmState;
import org.junit.jupiter.api.Test;

class StallWatchTest {
  private static VmInfo running(long heartbeat) {
    return VmInfo.newBuilder().setState(VmState.VM_STATE_RUNNING).setHeartbeat(heartbeat).build();
  }

  @Test
  void aRunningVmWhoseCounterStaysPutIsHungAfterTheTimeout() {
    StallWatch w = new StallWatch(10_000);
    assertThat(w.stuckFor("v", running(5), 0)).isEqualTo(-1);
    assertThat(w.stuckFor("v", running(5), 9_999)).isEqualTo(-1);
    assertThat(w.stuckFor("v", running(5), 10_000)).isEqualTo(10_000);
  }

  @Test
  void aMovingCounterRestartsTheClock() {
    StallWatch w = new StallWatch(10_000);
    w.stuckFor("v", running(5), 0);
    w.stuckFor("v", running(6), 8_000);
    assertThat(w.stuckFor("v", running(6), 17_000)).isEqualTo(-1);
    assertThat(w.stuckFor("v", running(6), 18_000)).isEqualTo(10_000);
  }

  @Test
  void vmsThatAreNotExpectedToStepAreNeverHung() {
    StallWatch w = new StallWatch(1_000);
    VmInfo paused = VmInfo.newBuilder().setState(VmState.VM_STATE_PAUSED).setHeartbeat(5).build();
    VmInfo leaseGone = running(5).toBuilder().setLeaseExpired(true).build();
    VmInfo migrating = running(5).toBuilder().setMigrationId("m1").build();
    for (VmInfo v : new VmInfo[] {paused, leaseGone, migrating}) {
      w.stuckFor("v", v, 0);
      assertThat(w.stuckFor("v", v, 60_000)).isEqualTo(-1);
    }
    // Leaving such a state starts the clock afresh.
    assertThat(w.stuckFor("v", running(5), 60_000)).isEqualTo(-1);
    assertThat(w.stuckFor("v", running(5), 61_000)).isEqualTo(1_000);
  }

  @Test
  void zeroTurnsTheWatchOff() {
    StallWatch w = new StallWatch(0);
    w.stuckFor("v", running(5), 0);
    assertThat(w.stuckFor("v", running(5), 1_000_000)).isEqualTo(-1);
  }
}
