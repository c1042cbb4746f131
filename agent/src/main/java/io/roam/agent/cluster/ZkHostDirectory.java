package io.roam.agent.cluster;

import io.roam.agent.migration.HostDirectory;
import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.model.HostRecord;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/** Host addresses from the host records agents register in ZooKeeper. Thread-safe (reads only). */
public final class ZkHostDirectory implements HostDirectory {
  private final CuratorFramework zk;

  public ZkHostDirectory(CuratorFramework zk) {
    this.zk = zk;
  }

  @Override
  public Optional<Peer> find(String host) throws Exception {
    if (!io.roam.common.Names.isValidHostName(host)) {
      return Optional.empty(); // never a path outside /roam/hosts
    }
    try {
      HostRecord r = Json.read(zk.getData().forPath(ZkPaths.host(host)), HostRecord.class);
      return Optional.of(new Peer(r.address(), r.port()));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }
}
