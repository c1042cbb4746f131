package io.roam.agent.cluster;

import io.roam.agent.fencing.EpochGuard;
import io.roam.common.ZkPaths;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * The newest leader epoch, from ZooKeeper's epoch node, which masters raise by compare-and-set
 * when they take leadership. A sync first: this agent's ZooKeeper server may not yet have applied
 * the write of a master that took its epoch a moment ago on another server. Thread-safe.
 */
public final class ZkTakenEpochs implements EpochGuard.TakenEpochs {
  private final CuratorFramework zk;

  public ZkTakenEpochs(CuratorFramework zk) {
    this.zk = zk;
  }

  @Override
  public long newest() throws Exception {
    CountDownLatch synced = new CountDownLatch(1);
    zk.sync().inBackground((client, event) -> synced.countDown()).forPath(ZkPaths.EPOCH);
    if (!synced.await(5, TimeUnit.SECONDS)) {
      throw new IllegalStateException("ZooKeeper did not answer a sync within 5 s");
    }
    try {
      return Long.parseLong(new String(zk.getData().forPath(ZkPaths.EPOCH), StandardCharsets.UTF_8).trim());
    } catch (KeeperException.NoNodeException e) {
      return 0; // no master has ever led
    }
  }
}
