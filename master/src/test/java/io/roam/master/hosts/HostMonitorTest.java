package io.roam.master.hosts;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.DatastoreHeartbeats;
import io.roam.master.drs.model.HostMode;
import io.roam.master.inventory.HostControl;
import io.roam.master.inventory.ZkFixture;
import io.roam.proto.HostHeartbeat;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leader's failure detector: session, heartbeat stream and datastore heartbeat together. */
class HostMonitorTest {
  private static final long FAILOVER = 4_000;
  private static final long HB_TIMEOUT = 3_000;
  @TempDir Path dir;
  private ZkFixture f;
  private LoadHistory load;
  private HostMonitor monitor;
  private Path datastore;
  private long counter;

  @BeforeEach
  void setUp() throws Exception {
    f = new ZkFixture(dir.resolve("zk"));
    load = new LoadHistory(60_000);
    datastore = dir.resolve("datastore");
    monitor = new HostMonitor(f.store, load, f.events, f.clock, f.clock::millis, FAILOVER, HB_TIMEOUT);
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  private HostState state(String host) throws Exception {
    return monitor.tick().get(host).state();
  }

  /** One second passes: the agent sends a heartbeat and touches its datastore file, as told. */
  private void second(String host, boolean stream, boolean disk) throws Exception {
    f.clock.advance(1_000);
    if (stream) {
      load.record(HostHeartbeat.newBuilder().setHost(host).build(), f.clock.millis());
    }
    if (disk) {
      DatastoreHeartbeats.write(datastore, host, ++counter);
    }
  }

  @Test
  void aLiveHostWithItsStreamIsConnectedAndItsFirstSightingIsNotNews() throws Exception {
    f.host("h1", 2, 1 << 30, datastore, true);
    second("h1", true, true);
    assertThat(state("h1")).isEqualTo(HostState.CONNECTED);
    assertThat(f.store.hostState("h1")).contains("connected");
    assertThat(f.eventKinds()).isEmpty();
  }

  @Test
  void aSilentStreamOnALiveSessionIsNotRespondingAfterTheGracePeriod() throws Exception {
    f.host("h1", 2, 1 << 30, datastore, true);
    second("h1", true, true);
    assertThat(state("h1")).isEqualTo(HostState.CONNECTED);
    for (int i = 0; i < 8; i++) {
      second("h1", false, true);
      monitor.tick();
    }
    assertThat(state("h1")).isEqualTo(HostState.NOT_RESPONDING);
    assertThat(f.eventKinds()).containsExactly("host.not-responding h1");
  }

  @Test
  void sessionGoneButDatastoreMovingIsIsolatedAndStillGoneLaterIsFailed() throws Exception {
    f.host("h1", 2, 1 << 30, datastore, true);
    second("h1", true, true);
    monitor.tick();
    f.live("h1", false);
    monitor.tick(); // first look at the dead session
    second("h1", false, true); // the datastore counter moves after the session is gone
    assertThat(state("h1")).isEqualTo(HostState.ISOLATED);
    // The host dies for good: the counter stops; after the failover delay it is failed.
    for (int i = 0; i < 5; i++) {
      second("h1", false, false);
    }
    assertThat(state("h1")).isEqualTo(HostState.FAILED);
    assertThat(f.eventKinds()).containsExactly("host.not-responding h1", "host.isolated h1", "host.failed h1");
  }

  @Test
  void aHostThatDiesIsNotRespondingThenFailedAfterTheDelayNotIsolated() throws Exception {
    f.host("h1", 2, 1 << 30, datastore, true);
    second("h1", true, true);
    monitor.tick();
    f.live("h1", false); // its last datastore write was before the session went
    assertThat(state("h1")).isEqualTo(HostState.NOT_RESPONDING);
    f.clock.advance(FAILOVER - 1);
    assertThat(state("h1")).isEqualTo(HostState.NOT_RESPONDING);
    f.clock.advance(1);
    HostStatus s = monitor.tick().get("h1");
    assertThat(s.state()).isEqualTo(HostState.FAILED);
    assertThat(s.live()).isFalse();
    assertThat(f.eventKinds()).doesNotContain("host.isolated h1");
  }

  @Test
  void modesShowAndAWokenHostBecomesConnectedWhenItsAgentIsBack() throws Exception {
    f.host("h1", 2, 1 << 30, datastore, true);
    f.host("h2", 2, 1 << 30, datastore, false);
    f.store.setHostControl("h1", HostControl.CONNECTED.withMode(HostMode.ENTERING_MAINTENANCE, 0, "operator"));
    f.store.setHostControl("h2", HostControl.CONNECTED.withMode(HostMode.WAKING, 0, "dpm"));
    second("h1", true, true);
    assertThat(state("h1")).isEqualTo(HostState.ENTERING_MAINTENANCE);
    assertThat(monitor.current().get("h2").state()).isEqualTo(HostState.WAKING);
    f.live("h2", true);
    monitor.tick();
    assertThat(f.store.hostControl("h2").mode()).isEqualTo(HostMode.CONNECTED);
    assertThat(f.eventKinds()).contains("host.woken h2");
  }

  @Test
  void theFailoverDelayIsMeasuredOnTheMonotonicClockNotTheWallClock() throws Exception {
    long[] mono = {5_000};
    HostMonitor m = new HostMonitor(f.store, load, f.events, f.clock, () -> mono[0], FAILOVER, HB_TIMEOUT);
    f.host("h1", 2, 1 << 30, datastore, true);
    second("h1", true, true);
    m.tick();
    f.live("h1", false);
    HostStatus first = m.tick().get("h1");
    assertThat(first.downSinceMs()).isEqualTo(5_000); // on the monotonic clock
    f.clock.advance(3_600_000); // the wall clock is stepped an hour ahead (NTP, an operator)
    mono[0] += FAILOVER - 1;
    assertThat(m.tick().get("h1").state()).isEqualTo(HostState.NOT_RESPONDING);
    mono[0] += 1;
    assertThat(m.tick().get("h1").state()).isEqualTo(HostState.FAILED);
  }

  @Test
  void aPassAfterANewerMasterTookAnEpochWritesNothing() throws Exception {
    f.host("h1", 2, 1 << 30, datastore, true);
    f.store.setHostControl("h1", HostControl.CONNECTED.withMode(HostMode.WAKING, 0, "dpm"));
    var term1 = f.store.forTerm(f.store.nextEpoch());
    HostMonitor old = new HostMonitor(term1, load, f.events, f.clock, f.clock::millis, FAILOVER, HB_TIMEOUT);
    f.store.nextEpoch(); // another master is elected while this one's pass is still to run
    org.assertj.core.api.Assertions.assertThatThrownBy(old::tick)
        .isInstanceOf(io.roam.master.inventory.NotLeaderException.class);
    assertThat(f.store.hostControl("h1").mode()).isEqualTo(HostMode.WAKING);
    assertThat(f.store.hostState("h1")).isEmpty();
    assertThat(f.eventKinds()).isEmpty();
  }

  @Test
  void aHostBeingPoweredOffForStandbyRaisesNoAlarm() throws Exception {
    f.host("h1", 2, 1 << 30, datastore, true);
    second("h1", true, true);
    monitor.tick();
    f.store.setHostControl("h1", HostControl.CONNECTED.withMode(HostMode.ENTERING_STANDBY, 0, "dpm"));
    f.live("h1", false);
    HostStatus s = monitor.tick().get("h1");
    assertThat(s.state()).isEqualTo(HostState.ENTERING_STANDBY);
    assertThat(s.downSinceMs()).isPositive(); // HA still sees it down, should it hold VMs
    assertThat(f.eventKinds()).isEmpty();
  }
}
