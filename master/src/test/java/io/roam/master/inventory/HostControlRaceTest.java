package io.roam.master.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.master.drs.model.HostMode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host mode has several writers (issue 9, window 11): the host monitor, the scheduler and
 * operators. On a real ZooKeeper, each on its own session, none undoes another's change.
 */
class HostControlRaceTest {
  @TempDir Path dir;
  private ZkFixture f;
  private CuratorFramework otherZk;
  private CuratorClusterStore other;

  @BeforeEach
  void setUp() throws Exception {
    f = new ZkFixture(dir);
    otherZk = io.roam.master.zk.TestPki.get().client("127.0.0.1:" + f.server.port(), new RetryOneTime(100));
    otherZk.start();
    otherZk.blockUntilConnected(10, TimeUnit.SECONDS);
    other = new CuratorClusterStore(otherZk);
    f.host("h1", 2, 1 << 30, null, false);
  }

  @AfterEach
  void tearDown() {
    otherZk.close();
    f.close();
  }

  /**
   * The scheduler reads "waking" and decides the wake timed out; before it writes, the host
   * monitor sees the agent back and makes the host connected. The scheduler's stale decision is
   * re-applied to "connected", where the table refuses it: the host stays connected.
   */
  @Test
  void aWakeTimeoutDecidedOnAStaleReadDoesNotUndoTheAgentComingBack() throws Exception {
    f.store.setHostControl("h1", HostControl.CONNECTED.withMode(HostMode.WAKING, 1, "dpm"));
    AtomicBoolean first = new AtomicBoolean(true);
    HostTransition scheduler = f.store.updateHostControl("h1", c -> {
      if (first.getAndSet(false)) {
        assertThat(c.mode()).isEqualTo(HostMode.WAKING);
        try { // the host monitor's write lands between the scheduler's read and its write
          assertThat(other.transitionHost("h1", HostEvent.AGENT_BACK, 2).changes()).isTrue();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }
      return HostTransitions.apply(c, HostEvent.WAKE_FAILED, 3);
    });
    assertThat(scheduler.refusal()).isEqualTo("the host is connected: it is not waking");
    HostControl now = f.store.hostControl("h1");
    assertThat(now.mode()).isEqualTo(HostMode.CONNECTED);
    assertThat(now.wakeFailed()).isFalse();
    assertThat(now.by()).isEqualTo("host-monitor");
  }

  /**
   * An operator's maintenance and DPM's standby start at the same moment from "connected", many
   * times over: exactly one wins each round, the other is refused, and the record is the winner's.
   */
  @Test
  void anOperatorAndDpmRacingFromConnectedNeverBothWin() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 30; round++) {
        f.store.setHostControl("h1", HostControl.CONNECTED);
        CyclicBarrier start = new CyclicBarrier(2);
        Future<HostTransition> operator = pool.submit(() -> {
          start.await();
          return f.store.transitionHost("h1", HostEvent.OPERATOR_ENTER_MAINTENANCE, 10);
        });
        Future<HostTransition> dpm = pool.submit(() -> {
          start.await();
          return other.transitionHost("h1", HostEvent.DPM_ENTER_STANDBY, 10);
        });
        HostTransition o = operator.get(10, TimeUnit.SECONDS);
        HostTransition d = dpm.get(10, TimeUnit.SECONDS);
        assertThat(List.of(o.changes(), d.changes())).as("round " + round).containsExactlyInAnyOrder(true, false);
        HostTransition winner = o.changes() ? o : d;
        HostTransition loser = o.changes() ? d : o;
        assertThat(loser.refused()).isTrue();
        assertThat(f.store.hostControl("h1")).isEqualTo(winner.after());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
