package io.roam.master.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.roam.common.model.OwnerRecord;
import io.roam.master.drs.model.HostMode;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only the leader acts (issue 9, window 9): a store bound to a leader's term refuses every write
 * once another master has taken a newer epoch, on a real ZooKeeper with the two masters on their
 * own sessions.
 */
class TermBoundStoreTest {
  @TempDir Path dir;
  private ZkFixture f;
  private CuratorFramework secondMasterZk;
  private CuratorClusterStore secondMaster;

  @BeforeEach
  void setUp() throws Exception {
    f = new ZkFixture(dir);
    secondMasterZk = io.roam.master.zk.TestPki.get().client("127.0.0.1:" + f.server.port(), new RetryOneTime(100));
    secondMasterZk.start();
    secondMasterZk.blockUntilConnected(10, TimeUnit.SECONDS);
    secondMaster = new CuratorClusterStore(secondMasterZk);
    f.host("h1", 2, 1 << 30, null, true);
    f.vm("web", "h1", 1 << 20, true);
  }

  @AfterEach
  void tearDown() {
    secondMasterZk.close();
    f.close();
  }

  @Test
  void aTermsWritesAreRefusedOnceANewerMasterTookAnEpochAndNothingChanges() throws Exception {
    ClusterStore term1 = f.store.forTerm(f.store.nextEpoch());
    // While it leads, its writes go through.
    var o = f.store.owner("web").orElseThrow();
    assertThat(term1.compareAndSetOwner("web", o.version(), new OwnerRecord("h1", 2))).isTrue();
    assertThat(term1.transitionHost("h1", HostEvent.OPERATOR_ENTER_MAINTENANCE, 1).changes()).isTrue();
    term1.setHostState("h1", "entering-maintenance");
    term1.createTask("maintenance-enter-1", "running".getBytes());
    int taskVersion = f.store.task("maintenance-enter-1").orElseThrow().version();

    long epoch2 = secondMaster.nextEpoch(); // a second master is elected
    var owner = f.store.owner("web").orElseThrow();
    HostControl control = f.store.hostControl("h1");

    assertThatThrownBy(() -> term1.compareAndSetOwner("web", owner.version(), new OwnerRecord("h2", 3)))
        .isInstanceOf(NotLeaderException.class).hasMessageStartingWith("no longer the leader: epoch 1 is over");
    assertThatThrownBy(() -> term1.setHostControl("h1", HostControl.CONNECTED))
        .isInstanceOf(NotLeaderException.class);
    assertThatThrownBy(() -> term1.transitionHost("h1", HostEvent.OPERATOR_EXIT_MAINTENANCE, 2))
        .isInstanceOf(NotLeaderException.class);
    assertThatThrownBy(() -> term1.setHostState("h1", "failed")).isInstanceOf(NotLeaderException.class);
    assertThatThrownBy(() -> term1.deleteVm("web")).isInstanceOf(NotLeaderException.class);
    // A task's progress too (master/tasks writes through this store).
    assertThatThrownBy(() -> term1.compareAndSetTask("maintenance-enter-1", taskVersion, "succeeded".getBytes()))
        .isInstanceOf(NotLeaderException.class);
    assertThatThrownBy(() -> term1.createTask("power-off-2", "running".getBytes()))
        .isInstanceOf(NotLeaderException.class);
    assertThat(new String(f.store.task("maintenance-enter-1").orElseThrow().value())).isEqualTo("running");
    assertThat(f.store.task("power-off-2")).isEmpty();

    // The records are as the old term last left them.
    assertThat(f.store.owner("web").orElseThrow()).isEqualTo(owner);
    assertThat(owner.value()).isEqualTo(new OwnerRecord("h1", 2));
    assertThat(f.store.hostControl("h1")).isEqualTo(control);
    assertThat(control.mode()).isEqualTo(HostMode.ENTERING_MAINTENANCE);
    assertThat(f.store.hostState("h1")).contains("entering-maintenance");
    assertThat(f.store.vm("web")).isPresent();

    // The old term cannot be taken up again; the new one writes.
    assertThatThrownBy(() -> f.store.forTerm(1)).isInstanceOf(NotLeaderException.class);
    ClusterStore term2 = secondMaster.forTerm(epoch2);
    assertThat(term2.compareAndSetOwner("web", owner.version(), new OwnerRecord("h1", 3))).isTrue();
    assertThat(term2.transitionHost("h1", HostEvent.OPERATOR_EXIT_MAINTENANCE, 3).changes()).isTrue();
    term2.deleteVm("web");
    assertThat(f.store.vm("web")).isEmpty();
  }

  @Test
  void aFailedCompareAndSetWithinTheTermIsStillJustFalse() throws Exception {
    ClusterStore term = f.store.forTerm(f.store.nextEpoch());
    var o = f.store.owner("web").orElseThrow();
    assertThat(term.compareAndSetOwner("web", o.version() + 1, new OwnerRecord("h2", 2))).isFalse();
    assertThat(f.store.owner("web").orElseThrow()).isEqualTo(o);
  }
}
