package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roam.proto.ClusterServiceGrpc;
import io.roam.proto.CreateVmRequest;
import io.roam.proto.LeaderInfo;
import io.roam.proto.LeaderRequest;
import io.roam.proto.VmSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two masters on one ZooKeeper: one leads with an epoch, the other answers reads and sends writes to it. */
class LeaderElectionTest {
  @TempDir Path dir;

  @Test
  void oneMasterLeadsAndAStandbyRefusesWritesNamingTheLeader() throws Exception {
    try (LocalCluster cluster = LocalCluster.start(dir, 1)) {
      LocalCluster.Node leader = cluster.masters.get(0);
      LocalCluster.Node standby = cluster.startMaster("master2", cluster.zkConnect());
      ManagedChannel ch = LocalCluster.channel(standby.address(), cluster.admin());
      try {
        var stub = ClusterServiceGrpc.newBlockingStub(ch);
        LeaderInfo info = await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(
            () -> stub.withDeadlineAfter(5, TimeUnit.SECONDS).getLeader(LeaderRequest.getDefaultInstance()), i -> true);
        assertThat(info.getIsLeader()).isFalse();
        assertThat(info.getLeaderAddress()).isEqualTo(leader.address());
        assertThat(info.getEpoch()).isPositive();

        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
            () -> stub.withDeadlineAfter(5, TimeUnit.SECONDS).createVm(CreateVmRequest.newBuilder()
                .setSpec(VmSpec.newBuilder().setName("x").setProgram("idle").setMemoryBytes(16 << 20)).build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.getStatus().getDescription()).contains("not the leader; the leader is at " + leader.address());
      } finally {
        ch.shutdownNow();
      }

      // roamctl given only the standby follows it to the leader; reads work on the standby.
      LocalCluster.Result r = cluster.ctlAt(standby.address(), "vm", "create", "via-standby", "--program", "idle", "--memory", "16MiB");
      assertThat(r.exit()).as(r.err()).isZero();
      LocalCluster.Result ls = cluster.ctlAt(standby.address(), "vm", "ls");
      assertThat(ls.out()).contains("via-standby");
      LocalCluster.Result lead = cluster.ctlAt(standby.address(), "leader");
      assertThat(lead.out()).contains("leader " + leader.address()).contains("is a standby");
    }
  }
}
