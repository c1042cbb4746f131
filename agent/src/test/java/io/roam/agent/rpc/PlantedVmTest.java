package io.roam.agent.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roam.proto.AgentVmRequest;
import io.roam.proto.PrepareMigrationRequest;
import io.roam.proto.VmSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack of issue 10 "planting a VM": PrepareMigration skipped the spec validation of
 * CreateVm, so a VM name with "../" reached file paths (memory, socket, log, pid files). Now every
 * path that creates a VM validates its spec the same way; a refused request creates no file
 * anywhere. Real gRPC, real agents' VM managers.
 */
class PlantedVmTest {
  @TempDir Path root;
  private Path dir;
  private TwoAgents agents;

  @BeforeEach
  void setUp() throws Exception {
    dir = root.resolve("a/b/c"); // deep enough that "../" stays inside the temporary directory
    Files.createDirectories(dir);
    agents = new TwoAgents(dir);
  }

  @AfterEach
  void tearDown() {
    agents.close();
  }

  @Test
  void aPrepareMigrationWithAPathInTheNameIsRefusedAndCreatesNoFile() throws Exception {
    List<String> before = files();
    for (String name : List.of("../x", "../../../x", "a/../../x", "..", "x/y", "-x", "x\u0000y", "a..b")) {
      assertThatThrownBy(() -> agents.dst.stubFromAgent("src").prepareMigration(PrepareMigrationRequest.newBuilder()
          .setMasterEpoch(1).setOwnerEpoch(1).setSourceHost("src").setSpec(VmSpec.newBuilder()
              .setName(name).setProgram("idle").setMemoryBytes(16 << 20)).build()))
          .as(name).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("invalid VM name").doesNotContain("\n");
          });
    }
    // The other checks of CreateVm hold for an incoming VM too.
    assertThatThrownBy(() -> agents.dst.stubFromAgent("src").prepareMigration(PrepareMigrationRequest.newBuilder()
        .setMasterEpoch(1).setOwnerEpoch(1).setSourceHost("src").setSpec(VmSpec.newBuilder()
            .setName("ok").setProgram("no.such.Program").setMemoryBytes(16 << 20)).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThat(files()).isEqualTo(before);
    assertThat(agents.dst.vms.list()).isEmpty();
  }

  @Test
  void aDestroyWithAPathInTheNameDeletesNothing() throws Exception {
    // <datastore>/vms/../../../victim is the directory beside the agents' one.
    Files.createDirectories(dir.resolve("datastore/vms"));
    Path victim = dir.getParent().resolve("victim");
    Files.createDirectories(victim);
    Files.writeString(victim.resolve("precious"), "keep");
    List<String> before = files();
    assertThatThrownBy(() -> agents.src.stub().destroyVm(AgentVmRequest.newBuilder().setMasterEpoch(1)
        .setName("../../../victim").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThat(files()).isEqualTo(before);
  }

  /** Every file and directory under the test's root. */
  private List<String> files() throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      return s.map(p -> root.relativize(p).toString()).sorted().toList();
    }
  }
}
