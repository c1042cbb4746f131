package io.roam.master.events;

import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.model.EventRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's event log in ZooKeeper: persistent sequential nodes, so every master (and agent)
 * appends and reads the same ordered history, which survives a master failover. The oldest events
 * beyond {@link #KEEP} are trimmed.
 *
 * <p>Thread-safety: safe for concurrent use. Appending never throws: an event that cannot be
 * written is logged, and the operation that caused it goes on.
 */
public final class EventLog {
  public static final int KEEP = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);

  /** An event with its place in the log. */
  public record Entry(long seq, EventRecord event) {}

  private final CuratorFramework zk;
  private final AtomicInteger appends = new AtomicInteger();

  public EventLog(CuratorFramework zk) throws Exception {
    this.zk = zk;
    try {
      zk.create().creatingParentsIfNeeded().forPath(ZkPaths.EVENTS);
    } catch (KeeperException.NodeExistsException e) {
      // already there
    }
  }

  public void append(String kind, String vm, String host, String message) {
    EventRecord e = new EventRecord(System.currentTimeMillis(), kind, vm == null ? "" : vm, host == null ? "" : host, message);
    try {
      zk.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(ZkPaths.EVENT_PREFIX, Json.write(e));
      LOG.info("event {} vm={} host={}: {}", kind, e.vm(), e.host(), message);
      if (appends.incrementAndGet() % 100 == 0) {
        trim();
      }
    } catch (Exception ex) {
      LOG.warn("could not record event {} ({}): {}", kind, message, ex.toString());
    }
  }

  /** Events after {@code afterSeq} (-1: all), oldest first, matching the filters (empty: any). */
  public List<Entry> list(long afterSeq, String vm, String host, int limit) throws Exception {
    List<String> names = new ArrayList<>(zk.getChildren().forPath(ZkPaths.EVENTS));
    names.sort(null); // zero-padded sequence numbers sort in order
    List<Entry> out = new ArrayList<>();
    for (String name : names) {
      long seq = Long.parseLong(name.substring(2));
      if (seq <= afterSeq) {
        continue;
      }
      EventRecord e;
      try {
        e = Json.read(zk.getData().forPath(ZkPaths.EVENTS + "/" + name), EventRecord.class);
      } catch (KeeperException.NoNodeException trimmed) {
        continue;
      }
      if ((vm.isEmpty() || vm.equals(e.vm())) && (host.isEmpty() || host.equals(e.host()))) {
        out.add(new Entry(seq, e));
      }
    }
    return out.size() > limit ? out.subList(out.size() - limit, out.size()) : out;
  }

  private void trim() throws Exception {
    List<String> names = new ArrayList<>(zk.getChildren().forPath(ZkPaths.EVENTS));
    names.sort(null);
    for (int i = 0; i < names.size() - KEEP; i++) {
      try {
        zk.delete().forPath(ZkPaths.EVENTS + "/" + names.get(i));
      } catch (KeeperException.NoNodeException e) {
        // trimmed by another master
      }
    }
  }
}
