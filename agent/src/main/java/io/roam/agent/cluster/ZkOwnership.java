package io.roam.agent.cluster;

import io.roam.agent.migration.Ownership;
import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.model.OwnerRecord;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * VM ownership records in ZooKeeper, changed only by compare-and-set on their version. ZooKeeper's
 * ACLs let this agent write a record only while it names this host (common/zk ZkAcls), so a fence of
 * someone else's record goes through a master. Thread-safe.
 */
public final class ZkOwnership implements Ownership {
  private final CuratorFramework zk;
  private final MasterOwnerFence masters;

  public ZkOwnership(CuratorFramework zk, MasterOwnerFence masters) {
    this.zk = zk;
    this.masters = masters;
  }

  @Override
  public boolean fence(String vm, int version) throws Exception {
    return masters.fence(vm, version);
  }

  @Override
  public Optional<Owner> read(String vm) throws Exception {
    Stat stat = new Stat();
    try {
      OwnerRecord r = Json.read(zk.getData().storingStatIn(stat).forPath(ZkPaths.vmOwner(vm)), OwnerRecord.class);
      return Optional.of(new Owner(r.host(), r.epoch(), stat.getVersion(), r.migration()));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }

  @Override
  public Optional<Owner> readLatest(String vm) throws Exception {
    // ZooKeeper's sync: the connected server catches up with the leader before the read that
    // follows it on this session (reads and syncs are answered in order).
    CountDownLatch synced = new CountDownLatch(1);
    zk.sync().inBackground((client, event) -> synced.countDown()).forPath(ZkPaths.vmOwner(vm));
    if (!synced.await(zk.getZookeeperClient().getConnectionTimeoutMs(), TimeUnit.MILLISECONDS)) {
      throw new java.io.IOException("ZooKeeper did not answer a sync of " + vm + "'s owner record");
    }
    return read(vm);
  }

  @Override
  public boolean compareAndSet(String vm, int expectedVersion, String host, long epoch, String migration)
      throws Exception {
    try {
      zk.setData().withVersion(expectedVersion).forPath(ZkPaths.vmOwner(vm), Json.write(new OwnerRecord(host, epoch, migration)));
      return true;
    } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
      return false;
    }
  }
}
