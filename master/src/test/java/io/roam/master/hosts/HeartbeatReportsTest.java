package io.roam.master.hosts;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.proto.HostHeartbeat;
import io.roam.proto.VmLoad;
import io.roam.proto.VmState;
import org.junit.jupiter.api.Test;

class HeartbeatReportsTest {
  private final HeartbeatReports reports = new HeartbeatReports();
  private long seq;

  private void beat(long at, VmLoad... vms) {
    reports.record(HostHeartbeat.newBuilder().setHost("a").setSeq(++seq).addAllVms(java.util.List.of(vms)).build(), at);
  }

  private static VmLoad vm(VmState st, long counter) {
    return VmLoad.newBuilder().setName("v").setState(st).setHeartbeat(counter).build();
  }

  @Test
  void theLatestHeartbeatOfAHostIsKeptWithItsArrivalTime() {
    beat(100, vm(VmState.VM_STATE_RUNNING, 1));
    beat(200);
    HeartbeatReports.HostReport r = reports.latest().get("a");
    assertThat(r.arrivedMs()).isEqualTo(200);
    assertThat(r.vms()).isEmpty(); // gone from the latest heartbeat: missing, whatever came before
  }

  @Test
  void stateAndCounterSinceCountFromTheFirstOfTheUnchangedHeartbeats() {
    beat(100, vm(VmState.VM_STATE_INCOMING, 0));
    beat(200, vm(VmState.VM_STATE_INCOMING, 0));
    assertThat(reports.latest().get("a").vms().get("v").stateSinceMs()).isEqualTo(100);
    beat(300, vm(VmState.VM_STATE_RUNNING, 5));
    beat(400, vm(VmState.VM_STATE_RUNNING, 5));
    var v = reports.latest().get("a").vms().get("v");
    assertThat(v.stateSinceMs()).isEqualTo(300);
    assertThat(v.counterSinceMs()).isEqualTo(300);
    beat(500, vm(VmState.VM_STATE_RUNNING, 6));
    assertThat(reports.latest().get("a").vms().get("v").counterSinceMs()).isEqualTo(500);
  }

  @Test
  void aVmThatLeftAndCameBackStartsAfresh() {
    beat(100, vm(VmState.VM_STATE_RUNNING, 5));
    beat(200);
    beat(300, vm(VmState.VM_STATE_RUNNING, 5));
    assertThat(reports.latest().get("a").vms().get("v").counterSinceMs()).isEqualTo(300);
  }
}
