package io.roam.master.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.common.model.VmSpec;
import io.roam.master.zk.EmbeddedZooKeeper;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inventory on a real (embedded) ZooKeeper server. */
class CuratorClusterStoreTest {
  @TempDir Path dir;
  private EmbeddedZooKeeper server;
  private CuratorFramework zk;
  private CuratorClusterStore store;

  @BeforeEach
  void setUp() throws Exception {
    server = io.roam.master.zk.TestPki.get().server(dir);
    zk = io.roam.master.zk.TestPki.get().client("127.0.0.1:" + server.port(), new RetryOneTime(100));
    zk.start();
    zk.blockUntilConnected(10, TimeUnit.SECONDS);
    store = new CuratorClusterStore(zk);
  }

  @AfterEach
  void tearDown() {
    zk.close();
    server.close();
  }

  @Test
  void ownershipMovesOnlyByCompareAndSet() throws Exception {
    VmRecord rec = new VmRecord(new VmSpec("web", "kv", 16 << 20, Map.of("port", "0"), ""), VmRecord.DesiredState.STOPPED);
    assertThat(store.createVm(rec, new OwnerRecord("h1", 1))).isTrue();
    assertThat(store.createVm(rec, new OwnerRecord("h2", 1))).as("a second create of the same name").isFalse();
    assertThat(store.vm("web")).contains(rec);

    var owner = store.owner("web").orElseThrow();
    assertThat(owner.value()).isEqualTo(new OwnerRecord("h1", 1));
    assertThat(store.compareAndSetOwner("web", owner.version(), new OwnerRecord("h2", 2))).isTrue();
    assertThat(store.compareAndSetOwner("web", owner.version(), new OwnerRecord("h3", 2)))
        .as("a stale version must not move ownership").isFalse();
    assertThat(store.owner("web").orElseThrow().value()).isEqualTo(new OwnerRecord("h2", 2));

    store.deleteVm("web");
    assertThat(store.vm("web")).isEmpty();
    assertThat(store.owner("web")).isEmpty();
  }

  @Test
  void concurrentMastersNeverGetTheSameEpoch() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    Set<Long> seen = ConcurrentHashMap.newKeySet();
    List<Future<?>> fs = new java.util.ArrayList<>();
    for (int t = 0; t < 4; t++) {
      fs.add(pool.submit(() -> {
        for (int i = 0; i < 25; i++) {
          assertThat(seen.add(store.nextEpoch())).isTrue();
        }
        return null;
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    assertThat(seen).hasSize(100);
    assertThat(new HashSet<>(seen)).contains(1L, 100L);
  }
}
