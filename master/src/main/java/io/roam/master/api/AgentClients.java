package io.roam.master.api;

import io.grpc.ChannelCredentials;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.roam.common.model.HostRecord;
import io.roam.proto.AgentServiceGrpc;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel per agent address, reused across calls. Every call sets its own deadline. The
 * channels are mutual TLS with the master's certificate; the agent's certificate must name the
 * address the agent registered (host name verification). A channel whose agent was unreachable
 * tries again at once on the next call rather than after its reconnect backoff. Thread-safe.
 */
public final class AgentClients implements AutoCloseable {
  /** How long a call waits for a channel that had failed to start connecting again (milliseconds, normally). */
  private static final long RECONNECT_WAIT_MS = 1_000;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final ChannelCredentials credentials;

  /** @param credentials the master's: {@link io.roam.common.security.TlsFiles#channelCredentials()} */
  public AgentClients(ChannelCredentials credentials) {
    this.credentials = credentials;
  }

  public AgentServiceGrpc.AgentServiceBlockingStub stub(HostRecord host, long deadlineMillis) {
    String target = host.address() + ":" + host.port();
    ManagedChannel ch = channels.computeIfAbsent(target, t -> NettyChannelBuilder.forTarget(t, credentials).build());
    if (ch.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      // The agent was unreachable (killed, restarting): gRPC waits out a growing reconnect backoff,
      // up to two minutes, and fails every call meanwhile with the old error, even once the agent
      // is back. The caller asks because it believes the agent live: try the connection now. A call
      // made while the channel still shows the failure fails with it; one made once the channel is
      // connecting waits for the attempt (within its deadline).
      ch.resetConnectBackoff();
      awaitStateOtherThan(ch, ConnectivityState.TRANSIENT_FAILURE, Math.min(deadlineMillis, RECONNECT_WAIT_MS));
    }
    return AgentServiceGrpc.newBlockingStub(ch).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
  }

  private static void awaitStateOtherThan(ManagedChannel ch, ConnectivityState state, long maxMillis) {
    CountDownLatch changed = new CountDownLatch(1);
    ch.notifyWhenStateChanged(state, changed::countDown); // at once if it already changed
    try {
      changed.await(maxMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}
