package io.roam.master.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roam.proto.Event;
import io.roam.proto.WatchEvent;
import io.roam.proto.WatchEventsRequest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * roamctl's side of the {@code WatchEvents} stream: follows the cluster's changes until interrupted,
 * across a master that stops and a leader that changes. On reconnecting it asks for the events after
 * the last one it saw, and compares the nodes' state the master sends again with what it knew: a
 * node changed meanwhile is reported once, one deleted meanwhile is reported deleted, one unchanged
 * is not reported. So a listener sees each change once, as if the stream had never broken.
 *
 * <p>Not thread-safe: one command follows one watch on its own thread.
 */
final class ClusterWatcher {
  /** What a command does with the changes; called on the following thread, in order. */
  interface Listener {
    /** Once, when the master has sent the current state: a command prints its table here. */
    void synced() throws Exception;

    /** A host or VM node put or deleted after {@link #synced}. */
    default void node(WatchEvent change) throws Exception {}

    /** An event of the log, in sequence order. */
    default void event(Event e) throws Exception {}
  }

  /** Thrown by a listener that has seen what it waited for: {@link #follow} returns. */
  static final class Stop extends RuntimeException {
    Stop() {
      super(null, null, false, false);
    }
  }

  /** How long to wait before reconnecting, so a cluster that is down is not hammered. */
  private static final long RECONNECT_PAUSE_MS = 500;

  private final Roamctl root;
  /** The zxid of each node known, by kind/name/node. */
  private final Map<String, Long> known = new HashMap<>();
  private Long lastSeq;
  private boolean synced;

  /** @param afterSeq the events to receive first: those after it (-1: all kept); null: only new ones */
  ClusterWatcher(Roamctl root, Long afterSeq) {
    this.root = root;
    this.lastSeq = afterSeq;
  }

  /**
   * Follows the watch until this thread is interrupted or a listener throws {@link Stop} (then
   * returns), or no master answers for --timeout seconds (then throws UNAVAILABLE).
   */
  void follow(Listener listener) throws Exception {
    long failingSinceMs = -1;
    while (!Thread.currentThread().isInterrupted()) {
      try (MasterClient c = root.masterClient()) {
        c.callWithoutDeadline(stub -> {
          WatchEventsRequest.Builder req = WatchEventsRequest.newBuilder();
          if (lastSeq != null) {
            req.setAfterSeq(lastSeq);
          }
          Iterator<WatchEvent> changes = stub.watchEvents(req.build());
          if (!changes.hasNext()) { // the first message proves the master serves the watch
            return null;
          }
          readStream(changes, listener);
          return null;
        });
        failingSinceMs = -1;
      } catch (StatusRuntimeException e) {
        if (Thread.currentThread().isInterrupted() || e.getStatus().getCode() == Status.Code.CANCELLED) {
          return;
        }
        if (!reconnectable(e.getStatus().getCode())) {
          throw e;
        }
        long now = System.currentTimeMillis();
        failingSinceMs = failingSinceMs < 0 ? now : failingSinceMs;
        if (now - failingSinceMs > root.timeoutSeconds * 1000) {
          throw e;
        }
      } catch (Stop e) {
        return;
      } catch (ListenerFailed e) {
        throw e.cause;
      }
      try {
        Thread.sleep(RECONNECT_PAUSE_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static boolean reconnectable(Status.Code code) {
    return code == Status.Code.UNAVAILABLE || code == Status.Code.RESOURCE_EXHAUSTED || code == Status.Code.INTERNAL
        || code == Status.Code.UNKNOWN;
  }

  /** Carries a listener's exception out of the gRPC lambda. */
  private static final class ListenerFailed extends RuntimeException {
    final Exception cause;

    ListenerFailed(Exception cause) {
      super(cause);
      this.cause = cause;
    }
  }

  private void readStream(Iterator<WatchEvent> changes, Listener listener) {
    Set<String> putSinceConnect = new HashSet<>();
    boolean first = true;
    while (first || changes.hasNext()) {
      WatchEvent e = changes.next();
      first = false;
      try {
        switch (e.getType()) {
          case "put" -> {
            String key = key(e);
            putSinceConnect.add(key);
            Long before = known.get(key);
            if (before == null || e.getZxid() > before) {
              known.put(key, e.getZxid());
              if (synced) {
                listener.node(e);
              }
            }
          }
          case "delete" -> {
            if (known.remove(key(e)) != null && synced) {
              listener.node(e);
            }
          }
          case "event" -> {
            lastSeq = e.getSeq();
            listener.event(e.getEvent());
          }
          case "synced" -> {
            lastSeq = e.getSeq();
            for (String gone : new HashSet<>(known.keySet())) {
              if (!putSinceConnect.contains(gone)) { // deleted while this client was away
                known.remove(gone);
                String[] k = gone.split("/", 3);
                listener.node(WatchEvent.newBuilder().setType("delete").setKind(k[0]).setName(k[1]).setNode(k[2]).build());
              }
            }
            if (!synced) {
              synced = true;
              listener.synced();
            }
          }
          default -> { } // a newer master's message type: nothing this client knows to do with it
        }
      } catch (Stop | ListenerFailed e2) {
        throw e2;
      } catch (Exception ex) {
        throw new ListenerFailed(ex);
      }
    }
  }

  private static String key(WatchEvent e) {
    return e.getKind() + "/" + e.getName() + "/" + e.getNode();
  }
}
