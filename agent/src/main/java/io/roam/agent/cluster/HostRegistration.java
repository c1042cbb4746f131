package io.roam.agent.cluster;

import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.model.HostRecord;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;

/**
 * The agent's presence in ZooKeeper: a persistent host record and an ephemeral {@code live} node
 * that exists while its session does (re-created by Curator after a new session).
 */
public final class HostRegistration implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HostRegistration.class);
  private final PersistentNode live;

  public HostRegistration(CuratorFramework zk, HostRecord record, long waitForOldSessionMillis) throws Exception {
    awaitLayout(zk);
    String livePath = ZkPaths.hostLive(record.name());
    // An agent restarted after a crash finds its old session's node until that session expires.
    long deadline = System.currentTimeMillis() + waitForOldSessionMillis;
    while (zk.checkExists().forPath(livePath) != null) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("host name " + record.name() + " is registered by another live agent; "
            + "give this agent another --name");
      }
      Thread.sleep(250);
    }
    zk.create().orSetData().forPath(ZkPaths.host(record.name()), Json.write(record));
    live = new PersistentNode(zk, CreateMode.EPHEMERAL, false, livePath,
        ("pid " + ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8));
    live.start();
    if (!live.waitForInitialCreate(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("could not register host " + record.name() + " in ZooKeeper within 30 s");
    }
  }

  /**
   * Waits until a master has created {@code /roam/hosts}: only masters may create Roam's layout
   * (ZooKeeper ACLs), so an agent started first waits for one instead of failing. Says so once.
   */
  private static void awaitLayout(CuratorFramework zk) throws Exception {
    boolean said = false;
    while (zk.checkExists().forPath(ZkPaths.HOSTS) == null) {
      if (!said) {
        LOG.warn("waiting for a master to create {} in ZooKeeper (start a master; an agent cannot create it)",
            ZkPaths.HOSTS);
        said = true;
      }
      Thread.sleep(500);
    }
  }

  @Override
  public void close() throws Exception {
    live.close();
  }
}
