package io.roam.master.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.roam.common.model.HostRecord;
import io.roam.master.TestTls;
import io.roam.proto.AgentServiceGrpc;
import io.roam.proto.AgentVmRequest;
import io.roam.proto.VmInfo;
import io.roam.proto.VmState;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The master's channel to an agent that was down and came back on its port: the next call reaches
 * it, instead of failing with the old "connection refused" until gRPC's reconnect backoff (which
 * grows to two minutes) runs out. ComposeClusterTest saw HA fail over a VM to a restarted agent and
 * then fail for seconds to reach it, the agent serving all along.
 */
class AgentClientsTest {
  @TempDir Path dir;

  private static final class Agent extends AgentServiceGrpc.AgentServiceImplBase {
    @Override
    public void describeVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
      out.onNext(VmInfo.newBuilder().setState(VmState.VM_STATE_RUNNING).build());
      out.onCompleted();
    }
  }

  @Test
  void aCallReachesAnAgentBackOnItsPortWithoutWaitingOutTheReconnectBackoff() throws Exception {
    TestTls tls = new TestTls(dir);
    Server first = tls.agentServer("a", new Agent());
    int port = first.getPort();
    HostRecord host = new HostRecord("a", "127.0.0.1", port, 2, 1L << 30, "");
    try (AgentClients clients = tls.agentClients()) {
      assertThat(describe(clients, host)).isEqualTo(VmState.VM_STATE_RUNNING);

      first.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      // Down for a while: every call fails, and the channel's backoff between attempts grows to
      // seconds (1 s, 1.6 s, 2.6 s, ...).
      long downUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
      while (System.nanoTime() < downUntil) {
        assertThatThrownBy(() -> describe(clients, host)).isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED));
        Thread.sleep(200);
      }

      Server again = tls.agentServer("a", new Agent(), port);
      try {
        assertThat(describe(clients, host)).isEqualTo(VmState.VM_STATE_RUNNING);
      } finally {
        again.shutdownNow();
      }
    }
  }

  private static VmState describe(AgentClients clients, HostRecord host) {
    return clients.stub(host, 3_000).describeVm(AgentVmRequest.newBuilder().setName("v").build()).getState();
  }
}
