package io.roam.agent.cluster;

import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.model.EventRecord;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Appends the agent's events to the cluster's event log (/roam/events), in the background. */
public final class ZkEventSink implements EventSink {
  private static final Logger LOG = LoggerFactory.getLogger(ZkEventSink.class);
  private final CuratorFramework zk;
  private final String host;

  public ZkEventSink(CuratorFramework zk, String host) {
    this.zk = zk;
    this.host = host;
  }

  @Override
  public void event(String kind, String vm, String message) {
    EventRecord e = new EventRecord(System.currentTimeMillis(), kind, vm, host, message);
    try {
      zk.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT_SEQUENTIAL).inBackground((c, ev) -> {
        if (ev.getResultCode() != 0) {
          LOG.warn("could not record event {} of VM {}: ZooKeeper code {}", kind, vm, ev.getResultCode());
        }
      }).forPath(ZkPaths.EVENT_PREFIX, Json.write(e));
    } catch (Exception ex) {
      LOG.warn("could not record event {} of VM {}: {}", kind, vm, ex.toString());
    }
  }
}
