package io.roam.master.events;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.roam.common.ZkPaths;
import io.roam.common.concurrent.OrderedExecutor;
import io.roam.proto.Event;
import io.roam.proto.WatchEvent;
import io.roam.proto.WatchEventsRequest;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code WatchEvents}: every change of the cluster's host and VM nodes and every new event
 * of the log, pushed by ZooKeeper watches (Curator's {@link CuratorCache}), never by polling. Any
 * master serves it, leader or standby: it reads only ZooKeeper, which every master shares.
 *
 * <p>What a watcher receives, in this order: a "put" of every host and VM node as it is now, a
 * "synced" mark carrying the event log's resume point, then each change as it happens ("put",
 * "delete", "event"). Events go out in sequence order, read from the log itself after a watch
 * says it grew, so none is skipped or sent twice. A client that reconnects (its master stopped,
 * leadership moved) asks for the events after the last seq it saw and receives the nodes' current
 * state again: it misses no event the log still keeps, and no change of state.
 *
 * <p>Only the nodes a viewer may read through the other RPCs are sent ({@link #shown}): host
 * records and their live, control, power and state children; VM records and their owner and
 * endpoint; tasks (kind "task").
 *
 * <p>Thread-safety: safe for concurrent use. The caches' listeners only enqueue; each watcher's
 * messages are sent from its own queue of an {@link OrderedExecutor}, one after another. A watcher
 * whose client stops reading is ended (RESOURCE_EXHAUSTED) rather than buffered without bound.
 */
public final class ClusterWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterWatch.class);
  /** Messages a client may leave unread before its watch is ended; it then reconnects and resumes. */
  static final int MAX_UNREAD = 10_000;
  private static final Set<String> HOST_NODES = Set.of("live", "control", "power", "state");
  private static final Set<String> VM_NODES = Set.of("owner", "endpoint");

  /** A node the watch shows: kind "host" or "vm", the host's or VM's name, the child ("" for the record). */
  record NodeRef(String kind, String name, String node) {}

  private final EventLog events;
  private final OrderedExecutor queues;
  private final CuratorCache hosts;
  private final CuratorCache vms;
  private final CuratorCache eventNodes;
  private final CuratorCache tasks;
  private final CountDownLatch initialized = new CountDownLatch(4);
  /** Told of every change of a host, VM or task node (the leader's task tracker looks again). */
  private final List<Runnable> changeListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicBoolean started = new AtomicBoolean();

  /** @param queues where each watcher's messages are sent from, one queue per watcher */
  public ClusterWatch(CuratorFramework zk, EventLog events, OrderedExecutor queues) {
    this.events = events;
    this.queues = queues;
    this.hosts = CuratorCache.build(zk, ZkPaths.HOSTS);
    this.vms = CuratorCache.build(zk, ZkPaths.VMS);
    // Event nodes are only a trigger to read the log in order: their data is not kept twice.
    this.eventNodes = CuratorCache.builder(zk, ZkPaths.EVENTS)
        .withStorage(org.apache.curator.framework.recipes.cache.CuratorCacheStorage.dataNotCached()).build();
    this.tasks = CuratorCache.build(zk, ZkPaths.TASKS);
  }

  /** Calls {@code listener} (on Curator's thread; it must not block) after each host or VM change. */
  public void onChange(Runnable listener) {
    changeListeners.add(listener);
  }

  /** Starts the caches' watches; once only. */
  public ClusterWatch start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("the cluster watch is already started");
    }
    for (CuratorCache c : List.of(hosts, vms, tasks)) {
      c.listenable().addListener(CuratorCacheListener.builder()
          .forCreatesAndChanges((oldNode, node) -> nodeChanged(node, false))
          .forDeletes(node -> nodeChanged(node, true))
          .forInitialized(initialized::countDown).build());
    }
    eventNodes.listenable().addListener(CuratorCacheListener.builder()
        .forCreates(node -> watchers.forEach(Watcher::pullEvents))
        .forInitialized(initialized::countDown).build());
    hosts.start();
    vms.start();
    tasks.start();
    eventNodes.start();
    return this;
  }

  /** The node at {@code path} as the watch shows it, or empty for nodes it does not show. */
  static Optional<NodeRef> shown(String path) {
    if (path.startsWith(ZkPaths.TASKS + "/") && path.indexOf('/', ZkPaths.TASKS.length() + 1) < 0) {
      return Optional.of(new NodeRef("task", path.substring(ZkPaths.TASKS.length() + 1), ""));
    }
    for (String[] root : new String[][] {{ZkPaths.HOSTS, "host"}, {ZkPaths.VMS, "vm"}}) {
      if (!path.startsWith(root[0] + "/")) {
        continue;
      }
      String[] parts = path.substring(root[0].length() + 1).split("/");
      Set<String> children = root[1].equals("host") ? HOST_NODES : VM_NODES;
      if (parts.length == 1) {
        return Optional.of(new NodeRef(root[1], parts[0], ""));
      }
      if (parts.length == 2 && children.contains(parts[1])) {
        return Optional.of(new NodeRef(root[1], parts[0], parts[1]));
      }
    }
    return Optional.empty();
  }

  private static Optional<WatchEvent> put(ChildData node) {
    return shown(node.getPath()).map(ref -> WatchEvent.newBuilder().setType("put").setKind(ref.kind())
        .setName(ref.name()).setNode(ref.node())
        .setData(node.getData() == null ? "" : new String(node.getData(), StandardCharsets.UTF_8))
        .setZxid(node.getStat() == null ? 0 : node.getStat().getMzxid()).build());
  }

  private void nodeChanged(ChildData node, boolean deleted) {
    Optional<WatchEvent> e = deleted
        ? shown(node.getPath()).map(ref -> WatchEvent.newBuilder().setType("delete").setKind(ref.kind())
            .setName(ref.name()).setNode(ref.node()).build())
        : put(node);
    e.ifPresent(ev -> watchers.forEach(w -> w.node(node.getPath(), ev)));
    if (e.isPresent() && !e.get().getKind().equals("task")) {
      changeListeners.forEach(Runnable::run); // a task's own progress is no news to the task tracker
    }
  }

  /** Streams changes to {@code out} until the client cancels or this master stops. */
  public void watch(WatchEventsRequest req, ServerCallStreamObserver<WatchEvent> out) {
    Watcher w = new Watcher("\0watch-" + ids.incrementAndGet(), out);
    out.setOnCancelHandler(() -> {
      w.closed = true;
      watchers.remove(w);
    });
    // The snapshot is queued before the watcher hears of any change, so every change reaches it
    // after the snapshot (and those the snapshot already holds are dropped by their zxid).
    w.submit(() -> w.sendSnapshot(req.hasAfterSeq() ? Math.max(-1, req.getAfterSeq()) : null));
    watchers.add(w);
  }

  /** Ends every watch (their clients reconnect to another master) and stops the caches. */
  @Override
  public void close() {
    for (Watcher w : watchers) {
      w.submit(() -> {
        w.end(Status.UNAVAILABLE.withDescription("this master is stopping; watch again to resume"));
        return null;
      });
    }
    eventNodes.close();
    tasks.close();
    vms.close();
    hosts.close();
  }

  /**
   * One client's watch. Its fields are touched, and its stream written, only from its queue (the
   * flags excepted), so the stream sees one writer at a time as gRPC requires.
   */
  private final class Watcher {
    private final String key;
    private final ServerCallStreamObserver<WatchEvent> out;
    /** The zxid of each node's state last sent, so a change the snapshot already held is not sent twice. */
    private final Map<String, Long> sent = new HashMap<>();
    private final AtomicBoolean pullQueued = new AtomicBoolean();
    private long lastSeq = -1;
    private int unread;
    volatile boolean closed;

    Watcher(String key, ServerCallStreamObserver<WatchEvent> out) {
      this.key = key;
      this.out = out;
    }

    void submit(java.util.concurrent.Callable<?> work) {
      queues.submit(key, () -> {
        if (!closed) {
          try {
            work.call();
          } catch (Exception e) {
            LOG.debug("watch {}: {}", key.substring(1), e.toString());
            end(Status.UNAVAILABLE.withDescription("the watch failed (" + e.getMessage() + "); watch again to resume"));
          }
        }
        return null;
      });
    }

    /** @param afterSeq the events to send first: those after it (-1: all); null: none, only new ones */
    Object sendSnapshot(Long afterSeq) throws Exception {
      if (!initialized.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("ZooKeeper's nodes were not read within 30 s");
      }
      for (CuratorCache c : List.of(hosts, vms, tasks)) {
        c.stream().sorted(java.util.Comparator.comparing(ChildData::getPath))
            .forEach(node -> put(node).ifPresent(e -> sendNode(node.getPath(), e)));
      }
      lastSeq = afterSeq != null ? afterSeq : events.newestSeq();
      pullEventsNow();
      send(WatchEvent.newBuilder().setType("synced").setSeq(lastSeq).build());
      return null;
    }

    /** Called from a cache's listener: queues the change. */
    void node(String path, WatchEvent e) {
      submit(() -> sendNode(path, e));
    }

    private Object sendNode(String path, WatchEvent e) {
      Long before = sent.get(path);
      if (e.getType().equals("delete")) {
        if (sent.remove(path) != null) {
          send(e);
        }
      } else if (before == null || e.getZxid() > before) {
        sent.put(path, e.getZxid());
        send(e);
      }
      return null;
    }

    /** Queues a read of the events after the last sent; one such read waits at a time. */
    void pullEvents() {
      if (pullQueued.compareAndSet(false, true)) {
        submit(() -> {
          pullQueued.set(false);
          pullEventsNow();
          return null;
        });
      }
    }

    private void pullEventsNow() throws Exception {
      for (EventLog.Entry e : events.list(lastSeq, "", "", Integer.MAX_VALUE)) {
        lastSeq = e.seq();
        send(WatchEvent.newBuilder().setType("event").setSeq(e.seq()).setEvent(Event.newBuilder().setSeq(e.seq())
            .setTimeMs(e.event().timeMillis()).setKind(e.event().kind()).setVm(e.event().vm())
            .setHost(e.event().host()).setMessage(e.event().message())).build());
      }
    }

    private void send(WatchEvent e) {
      if (closed) {
        return;
      }
      unread = out.isReady() ? 0 : unread + 1;
      if (unread > MAX_UNREAD) {
        end(Status.RESOURCE_EXHAUSTED.withDescription("the watch fell " + MAX_UNREAD
            + " messages behind; watch again to resume"));
        return;
      }
      out.onNext(e);
    }

    void end(Status status) {
      if (closed) {
        return;
      }
      closed = true;
      watchers.remove(this);
      try {
        out.onError(status.asRuntimeException());
      } catch (RuntimeException alreadyClosed) {
        // the call ended meanwhile
      }
    }
  }
}
