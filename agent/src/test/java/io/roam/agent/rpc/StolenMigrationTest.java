package io.roam.agent.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.roam.agent.vm.VmState;
import io.roam.proto.AgentMigrateRequest;
import io.roam.proto.AgentServiceGrpc;
import io.roam.proto.HostAddress;
import io.roam.proto.MigrationInfo;
import io.roam.proto.PrepareMigrationRequest;
import io.roam.proto.PrepareMigrationResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack of issue 10 "stealing a VM": AgentService.MigrateVm took the destination's address
 * and port from the request, so a caller pointed the source at a listener of its own, which was
 * asked to prepare and would have received every page. Now the destination's address is the one
 * its agent registered; a request naming another is refused and nothing changes. Real gRPC
 * servers, real VM processes.
 */
class StolenMigrationTest {
  @TempDir Path dir;
  private TwoAgents agents;
  private Server thief;
  private final List<String> thiefCalls = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    agents = new TwoAgents(dir);
    thief = NettyServerBuilder.forPort(0).addService(new AgentServiceGrpc.AgentServiceImplBase() {
      @Override
      public void prepareMigration(PrepareMigrationRequest req, StreamObserver<PrepareMigrationResponse> out) {
        thiefCalls.add("prepare " + req.getSpec().getName());
        out.onError(Status.UNAVAILABLE.withDescription("not now").asRuntimeException());
      }
    }).build().start();
  }

  @AfterEach
  void tearDown() {
    thief.shutdownNow();
    agents.close();
  }

  @Test
  void aRequestThatPointsTheDestinationAtAForeignListenerIsRefusedAndNothingChanges() {
    agents.runOnSrc("web");
    var ownerBefore = agents.ownership.records.get("web");

    assertThatThrownBy(() -> agents.src.stub().migrateVm(AgentMigrateRequest.newBuilder().setMasterEpoch(1)
        .setName("web").setDestination(HostAddress.newBuilder().setName("dst").setAddress("127.0.0.1")
            .setPort(thief.getPort())).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("registered at");
        });
    // A host nobody registered is refused too.
    assertThatThrownBy(() -> agents.src.stub().migrateVm(AgentMigrateRequest.newBuilder().setMasterEpoch(1)
        .setName("web").setDestination(HostAddress.newBuilder().setName("thief").setAddress("127.0.0.1")
            .setPort(thief.getPort())).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));

    assertThat(thiefCalls).as("the foreign listener was never contacted").isEmpty();
    assertThat(agents.src.migrations.list()).isEmpty();
    assertThat(agents.src.vms.describe("web").state()).isEqualTo(VmState.RUNNING);
    assertThat(agents.ownership.records.get("web")).isEqualTo(ownerBefore);
    assertThat(agents.dst.vms.list()).isEmpty();
  }

  @Test
  void theRegisteredDestinationStillReceivesTheVm() {
    agents.runOnSrc("web");
    MigrationInfo started = agents.src.stub().migrateVm(AgentMigrateRequest.newBuilder().setMasterEpoch(1)
        .setName("web").setDestination(HostAddress.newBuilder().setName("dst")).build()); // by name alone
    await().atMost(Duration.ofSeconds(120)).until(() -> agents.src.migrations.get(started.getId()).status().isFinal());
    assertThat(agents.src.migrations.get(started.getId()).status())
        .isEqualTo(io.roam.agent.migration.MigrationStatus.COMPLETED);
    assertThat(agents.dst.vms.describe("web").state()).isEqualTo(VmState.RUNNING);
    assertThat(agents.ownership.records.get("web").host()).isEqualTo("dst");
  }
}
