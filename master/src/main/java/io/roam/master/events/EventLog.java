package io.roam.master.events;

import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.events.EventBounds;
import io.roam.common.model.EventRecord;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's event log in ZooKeeper: persistent sequential nodes, so every master (and agent)
 * appends and reads the same ordered history, which survives a master failover. What is written
 * is bounded as {@link EventBounds} says for every writer: long fields are cut with a marker, and
 * the oldest events beyond {@code keep} are trimmed.
 *
 * <p>Thread-safety: safe for concurrent use. Appending never throws: an event that cannot be
 * written is logged, and the operation that caused it goes on.
 */
public final class EventLog {
  public static final int KEEP = io.roam.common.config.RoamKeys.EVENTS_KEEP.defaultValue();
  private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);

  /** An event with its place in the log. */
  public record Entry(long seq, EventRecord event) {}

  private final CuratorFramework zk;
  private final int keep;
  /** Told of every event this process appends (the metrics count them), written or not. */
  private final List<java.util.function.Consumer<EventRecord>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** With the default number of events kept ({@link #KEEP}, the default of {@code events.keep}). */
  public EventLog(CuratorFramework zk) throws Exception {
    this(zk, KEEP);
  }

  /** @param keep how many of the newest events the log keeps ({@code events.keep}) */
  public EventLog(CuratorFramework zk, int keep) throws Exception {
    this.zk = zk;
    this.keep = keep;
    try {
      zk.create().creatingParentsIfNeeded().forPath(ZkPaths.EVENTS);
    } catch (KeeperException.NodeExistsException e) {
      // already there
    }
  }

  public void append(String kind, String vm, String host, String message) {
    EventRecord e = EventBounds.bounded(System.currentTimeMillis(), kind, vm, host, message);
    listeners.forEach(l -> l.accept(e));
    try {
      String created = zk.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(ZkPaths.EVENT_PREFIX, Json.write(e));
      try (var ids = io.roam.common.logging.LogContext.with(java.util.Map.of(io.roam.common.logging.LogContext.VM,
          e.vm() == null ? "" : e.vm(), io.roam.common.logging.LogContext.HOST, e.host() == null ? "" : e.host()))) {
        LOG.info("event {} vm={} host={}: {}", e.kind(), e.vm(), e.host(), e.message());
      }
      if (EventBounds.trimDue(created)) {
        trim();
      }
    } catch (Exception ex) {
      LOG.warn("could not record event {} ({}): {}", e.kind(), e.message(), ex.toString());
    }
  }

  /** Calls {@code listener} (on the appending thread; it must not block) with each event appended from now on. */
  public void onAppend(java.util.function.Consumer<EventRecord> listener) {
    listeners.add(listener);
  }

  /** Events after {@code afterSeq} (-1: all), oldest first, matching the filters (empty: any). */
  public List<Entry> list(long afterSeq, String vm, String host, int limit) throws Exception {
    List<String> names = new ArrayList<>(zk.getChildren().forPath(ZkPaths.EVENTS));
    names.sort(null); // zero-padded sequence numbers sort in order
    if (vm.isEmpty() && host.isEmpty() && names.size() > limit) {
      // Unfiltered, only the newest `limit` can be returned: read those, not the whole log (a
      // dashboard asks for 50 of 10,000 every second). One trimmed meanwhile is one fewer.
      names = names.subList(names.size() - limit, names.size());
    }
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

  /** The sequence number of the newest event, or -1 when the log is empty. */
  public long newestSeq() throws Exception {
    long newest = -1;
    for (String name : zk.getChildren().forPath(ZkPaths.EVENTS)) {
      newest = Math.max(newest, Long.parseLong(name.substring(2)));
    }
    return newest;
  }

  private void trim() throws Exception {
    for (String name : EventBounds.toTrim(zk.getChildren().forPath(ZkPaths.EVENTS), keep)) {
      try {
        zk.delete().forPath(ZkPaths.EVENTS + "/" + name);
      } catch (KeeperException.NoNodeException e) {
        // trimmed by another master
      }
    }
  }
}
