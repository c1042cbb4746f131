package io.roam.it;

import static io.roam.it.LocalCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roam.proto.AgentServiceGrpc;
import io.roam.proto.AgentVmRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks of issue 10 on a real cluster (a master with its ZooKeeper, agents as processes), made
 * by a caller that talks to an agent's AgentService directly.
 */
class ApiAttacksTest {
  @TempDir static Path dir;
  private static LocalCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.start(dir, 2);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * Epoch poisoning: one call with epoch 2^63-1 used to be admitted and stored, and the agent then
   * refused every real master for ever. Now ZooKeeper's epoch node must confirm an epoch first.
   */
  @Test
  void anEpochNoMasterTookIsRefusedAndTheRealMasterStillCommandsTheAgent() throws Exception {
    Path epochFile = dir.resolve("host1").resolve("master-epoch");
    ok(cluster.ctl("vm", "create", "before", "--program", "idle", "--memory", "16MiB", "--host", "host1"));
    String epochBefore = Files.readString(epochFile);

    // The caller holds a valid master certificate (an old master, or a stolen key): TLS and the
    // role check let it through, so the epoch check is what must stop it.
    ManagedChannel ch = LocalCluster.channel(cluster.agents.get("host1").address(),
        cluster.tls(io.roam.common.security.Role.MASTER, "rogue"));
    try {
      var stub = AgentServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
      assertThatThrownBy(() -> stub.stopVm(AgentVmRequest.newBuilder().setMasterEpoch(Long.MAX_VALUE)
          .setName("before").build())).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(e.getStatus().getDescription()).contains("no master has taken that epoch");
          });
    } finally {
      ch.shutdownNow();
    }
    assertThat(Files.readString(epochFile)).isEqualTo(epochBefore);

    // The real master still commands the agent.
    ok(cluster.ctl("vm", "create", "after", "--program", "idle", "--memory", "16MiB", "--host", "host1", "--start"));
    ok(cluster.ctl("vm", "destroy", "after"));
    ok(cluster.ctl("vm", "destroy", "before"));
  }
}
