package io.roam.master.api;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.roam.common.model.HostRecord;
import io.roam.proto.AgentServiceGrpc;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel per agent address, reused across calls. Every call sets its own deadline. The
 * channels are mutual TLS with the master's certificate; the agent's certificate must name the
 * address the agent registered (host name verification). Thread-safe.
 */
public final class AgentClients implements AutoCloseable {
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final ChannelCredentials credentials;

  /** @param credentials the master's: {@link io.roam.common.security.TlsFiles#channelCredentials()} */
  public AgentClients(ChannelCredentials credentials) {
    this.credentials = credentials;
  }

  public AgentServiceGrpc.AgentServiceBlockingStub stub(HostRecord host, long deadlineMillis) {
    String target = host.address() + ":" + host.port();
    ManagedChannel ch = channels.computeIfAbsent(target, t -> NettyChannelBuilder.forTarget(t, credentials).build());
    return AgentServiceGrpc.newBlockingStub(ch).withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}
