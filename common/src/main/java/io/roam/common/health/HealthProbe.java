package io.roam.common.health;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.TimeUnit;

/**
 * One call of the standard gRPC health service ({@code grpc.health.v1.Health/Check}) over mutual TLS:
 * what a container's health check asks a master or an agent. Stateless; each call opens and closes
 * its own channel (a probe runs once per process).
 */
public final class HealthProbe {
  private HealthProbe() {}

  /**
   * The serving status of {@code service} ("" for the whole process) at {@code host:port}.
   *
   * @throws StatusRuntimeException when the process cannot be reached or refuses the call
   */
  public static ServingStatus check(String target, String service, ChannelCredentials credentials, long timeoutMs)
      throws InterruptedException {
    ManagedChannel channel = Grpc.newChannelBuilder(target, credentials).build();
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(1, TimeUnit.SECONDS);
    }
  }
}
