package io.roam.master.hosts;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.master.drs.model.HostMode;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The state `host ls` shows: the mode from the control record, the health verdict from the leader. */
class HostStatesTest {

  @Test
  void theModeIsReadFromTheControlRecordNotFromTheLeadersLaggingCopy() {
    // The scheduler has written standby; the HA pass has not yet copied it (the fresh-clone race).
    assertThat(HostStates.shown(HostMode.STANDBY, false, Optional.of("entering-standby"))).isEqualTo("standby");
    assertThat(HostStates.shown(HostMode.MAINTENANCE, true, Optional.of("entering-maintenance")))
        .isEqualTo("maintenance");
    // A cancelled maintenance: the control record says connected at once.
    assertThat(HostStates.shown(HostMode.CONNECTED, true, Optional.of("entering-maintenance"))).isEqualTo("connected");
  }

  @Test
  void theLeadersHealthVerdictWinsWhereItApplies() {
    assertThat(HostStates.shown(HostMode.CONNECTED, false, Optional.of("failed"))).isEqualTo("failed");
    assertThat(HostStates.shown(HostMode.MAINTENANCE, false, Optional.of("isolated"))).isEqualTo("isolated");
    assertThat(HostStates.shown(HostMode.CONNECTED, true, Optional.of("not-responding"))).isEqualTo("not-responding");
    // A verdict of a host that has come back (live again) is stale: only "not responding" can hold.
    assertThat(HostStates.shown(HostMode.CONNECTED, true, Optional.of("failed"))).isEqualTo("connected");
    // A host powered off on purpose is expected to be gone: no alarm.
    assertThat(HostStates.shown(HostMode.STANDBY, false, Optional.of("failed"))).isEqualTo("standby");
  }

  @Test
  void aHostGoneWithNoVerdictYetIsDisconnected() {
    assertThat(HostStates.shown(HostMode.CONNECTED, false, Optional.empty())).isEqualTo("disconnected");
    assertThat(HostStates.shown(HostMode.CONNECTED, false, Optional.of("connected"))).isEqualTo("disconnected");
    assertThat(HostStates.shown(HostMode.CONNECTED, true, Optional.empty())).isEqualTo("connected");
  }
}
