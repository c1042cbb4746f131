package io.roam.master.cli;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.roam.proto.ClusterServiceGrpc;
import io.roam.proto.ClusterServiceGrpc.ClusterServiceBlockingStub;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * roamctl's connection to the masters: tries the addresses it knows in order, and when a master
 * answers that it is not the leader and names one, tries that one too. Every call has a deadline.
 */
public final class MasterClient implements AutoCloseable {
  private static final Pattern LEADER_AT = Pattern.compile("the leader is at (\\S+)");
  private final List<String> addresses;
  private final long deadlineMillis;
  private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();

  private final ChannelCredentials credentials;

  /** @param credentials the user's certificate (mutual TLS); each master's must name the address used */
  public MasterClient(List<String> addresses, long deadlineMillis, ChannelCredentials credentials) {
    this.credentials = credentials;
    this.addresses = new ArrayList<>(addresses);
    this.deadlineMillis = deadlineMillis;
  }

  public <T> T call(Function<ClusterServiceBlockingStub, T> rpc) {
    return call(rpc, true);
  }

  /**
   * As {@link #call(Function)}, but without a deadline: for a stream that lasts as long as the user
   * wants (a watch). A master that stops ends the stream, and the caller reconnects.
   */
  public <T> T callWithoutDeadline(Function<ClusterServiceBlockingStub, T> rpc) {
    return call(rpc, false);
  }

  private <T> T call(Function<ClusterServiceBlockingStub, T> rpc, boolean deadline) {
    List<String> tried = new ArrayList<>();
    List<String> queue = new ArrayList<>(addresses);
    StatusRuntimeException last = null;
    while (!queue.isEmpty()) {
      String address = queue.remove(0);
      if (tried.contains(address)) {
        continue;
      }
      tried.add(address);
      try {
        ClusterServiceBlockingStub stub = ClusterServiceGrpc.newBlockingStub(channel(address));
        return rpc.apply(deadline ? stub.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS) : stub);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
          throw e;
        }
        last = e;
        String desc = e.getStatus().getDescription();
        Matcher m = desc == null ? null : LEADER_AT.matcher(desc);
        if (m != null && m.find()) {
          queue.add(0, m.group(1));
        }
      }
    }
    String why = last == null ? "" : reason(last);
    throw Status.UNAVAILABLE.withDescription("no leader master answered at " + String.join(", ", tried)
        + (why.isEmpty() ? "" : " (" + why + ")")
        + "; is the cluster up? Set --master or ROAM_MASTER").asRuntimeException();
  }

  /** One line on why a master did not answer; a refused TLS handshake says which files to check. */
  private static String reason(StatusRuntimeException e) {
    for (Throwable t = e.getStatus().getCause(); t != null; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) {
        return "TLS handshake failed: " + firstLine(t.getMessage()) + "; the masters accept only certificates of"
            + " their CA, and --tls-ca must be that CA";
      }
    }
    return firstLine(e.getStatus().getDescription());
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("").strip();
  }

  private ManagedChannel channel(String address) {
    return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a, credentials).build());
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels.values()) {
      c.shutdownNow();
      try {
        c.awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
