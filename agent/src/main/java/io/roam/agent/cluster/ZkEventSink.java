package io.roam.agent.cluster;

import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.events.EventBounds;
import io.roam.common.model.EventRecord;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends the agent's events to the cluster's event log (/roam/events), in the background, bounded
 * like every writer's ({@link EventBounds}): long fields cut with a marker, and the log trimmed to
 * its newest {@code keep} events when this agent's append falls on a trim.
 *
 * <p>Thread-safety: safe for concurrent use; never blocks (every ZooKeeper call is asynchronous).
 */
public final class ZkEventSink implements EventSink {
  private static final Logger LOG = LoggerFactory.getLogger(ZkEventSink.class);
  private final CuratorFramework zk;
  private final String host;
  private final int keep;

  /** @param keep how many of the newest events the log keeps ({@code events.keep}) */
  public ZkEventSink(CuratorFramework zk, String host, int keep) {
    this.zk = zk;
    this.host = host;
    this.keep = keep;
  }

  @Override
  public void event(String kind, String vm, String message) {
    EventRecord e = EventBounds.bounded(System.currentTimeMillis(), kind, vm, host, message);
    try {
      zk.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT_SEQUENTIAL).inBackground((c, ev) -> {
        if (ev.getResultCode() != 0) {
          LOG.warn("could not record event {} of VM {}: ZooKeeper code {}", e.kind(), e.vm(), ev.getResultCode());
        } else if (EventBounds.trimDue(ev.getName())) {
          trim();
        }
      }).forPath(ZkPaths.EVENT_PREFIX, Json.write(e));
    } catch (Exception ex) {
      LOG.warn("could not record event {} of VM {}: {}", e.kind(), e.vm(), ex.toString());
    }
  }

  /** Deletes the events beyond the newest {@code keep}; another writer trimming at once is harmless. */
  private void trim() throws Exception {
    zk.getChildren().inBackground((c, ev) -> {
      if (ev.getResultCode() != 0) {
        return; // the next trim makes up for it
      }
      for (String name : EventBounds.toTrim(ev.getChildren(), keep)) {
        zk.delete().inBackground().forPath(ZkPaths.EVENTS + "/" + name);
      }
    }).forPath(ZkPaths.EVENTS);
  }
}
