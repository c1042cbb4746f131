package io.roam.bench;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.roam.it.LocalCluster;
import io.roam.proto.ClusterServiceGrpc;
import io.roam.proto.WatchEvent;
import io.roam.proto.WatchEventsRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every VM's endpoint as the leader's {@code WatchEvents} stream pushes it: what a client that
 * follows the cluster knows, without polling a listing. Used by {@link HaBenchmark} to learn where
 * each failed-over VM answers as soon as its new host publishes it.
 *
 * <p>Thread-safety: the stream's callbacks write, the benchmark's thread reads; the map is
 * concurrent and waiters are woken under this object's monitor.
 */
final class EndpointWatch implements StreamObserver<WatchEvent>, AutoCloseable {
  private final ManagedChannel channel;
  private final io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
  private final Map<String, String> endpoints = new ConcurrentHashMap<>();
  private volatile boolean synced;
  private volatile Throwable failed;

  private EndpointWatch(ManagedChannel channel) {
    this.channel = channel;
  }

  /** Opens a watch on the cluster's first live master (the benchmark's clusters have one). */
  static EndpointWatch open(LocalCluster c) throws IOException {
    String master = c.masterAddresses().split(",")[0];
    EndpointWatch w = new EndpointWatch(LocalCluster.channel(master, c.admin()));
    w.context.run(() -> ClusterServiceGrpc.newStub(w.channel).watchEvents(WatchEventsRequest.getDefaultInstance(), w));
    return w;
  }

  /** Waits until the current state of every node has been sent. */
  synchronized void awaitSynced(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!synced) {
      check();
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException("the watch did not sync within " + timeout);
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  /** Waits until the stream brings anything new, at most {@code timeout}. */
  synchronized void awaitChange(Duration timeout) throws InterruptedException {
    check();
    TimeUnit.NANOSECONDS.timedWait(this, timeout.toNanos());
  }

  /** VM name to its published endpoint ({@code host:port}), as last pushed. */
  Map<String, String> endpoints() {
    check();
    return Map.copyOf(endpoints);
  }

  private void check() {
    if (failed != null) {
      throw new IllegalStateException("the watch ended: " + failed, failed);
    }
  }

  @Override
  public void onNext(WatchEvent e) {
    if (e.getType().equals("synced")) {
      synced = true;
    } else if (e.getKind().equals("vm") && e.getNode().equals("endpoint")) {
      if (e.getType().equals("put") && !e.getData().isEmpty()) {
        endpoints.put(e.getName(), e.getData());
      } else if (e.getType().equals("delete")) {
        endpoints.remove(e.getName());
      }
    }
    synchronized (this) {
      notifyAll();
    }
  }

  @Override
  public void onError(Throwable t) {
    failed = t;
    synchronized (this) {
      notifyAll();
    }
  }

  @Override
  public void onCompleted() {
    onError(new IllegalStateException("stream completed"));
  }

  @Override
  public void close() {
    context.cancel(null);
    channel.shutdownNow();
  }
}
