package io.roam.master.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.roam.proto.VmInfo;
import io.roam.proto.VmSpec;
import io.roam.proto.VmState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** roamctl's JSON rules, and the schema files in docs/schema that document them. */
class CliJsonTest {
  private static final Path SCHEMAS = Path.of("..", "docs", "schema");

  @Test
  void statesAreLowerCaseWordsAndSizesAndTimesAreNumbers() {
    VmInfo vm = VmInfo.newBuilder().setSpec(VmSpec.newBuilder().setName("web").setMemoryBytes(1L << 34))
        .setState(VmState.VM_STATE_RUNNING).setCpuNanos(Long.MAX_VALUE).setDirtyPagesPerSecond(Double.NaN).build();
    JsonNode json = CliJson.tree(vm);
    assertThat(json.path("state").asText()).isEqualTo("running");
    assertThat(json.path("spec").path("memoryBytes").isNumber()).isTrue();
    assertThat(json.path("spec").path("memoryBytes").asLong()).isEqualTo(1L << 34);
    assertThat(json.path("cpuNanos").isIntegralNumber()).isTrue();
    assertThat(json.path("dirtyPagesPerSecond").isNull()).as("NaN is no JSON number").isTrue();
    assertThat(json.path("host").asText()).as("unset fields are present").isEmpty();
    assertThat(CliJson.tree(VmInfo.getDefaultInstance()).path("state").asText()).isEqualTo("unknown");
    assertThat(CliJson.yaml(vm)).contains("state: running");
  }

  /** Scripts cut top-level values out of -o yaml with sed 's/^KEY: //p': they must come unquoted. */
  @Test
  void yamlTopLevelValuesAreOnePlainLineEach() {
    String yaml = CliJson.yaml(io.roam.proto.LeaderInfo.newBuilder().setLeaderAddress("127.0.0.1:7700").setEpoch(3)
        .setMasterId("m1").build());
    assertThat(yaml.lines()).contains("leaderAddress: 127.0.0.1:7700", "epoch: 3", "masterId: m1");
    assertThat(CliJson.yaml(VmInfo.newBuilder().setHost("host2").build()).lines()).contains("host: host2");
  }

  /**
   * docs/schema holds what CliJson makes: a change of output shows in the files' diff. After an
   * intended change, run this test with -Droam.write-schemas=true to write them again.
   */
  @Test
  void theSchemaFilesAreTheOnesTheOutputRulesMake() throws Exception {
    boolean write = Boolean.getBoolean("roam.write-schemas");
    for (Map.Entry<String, String> s : CliJson.schemas().entrySet()) {
      Path file = SCHEMAS.resolve("roamctl-" + s.getKey() + ".schema.json");
      if (write) {
        Files.createDirectories(SCHEMAS);
        Files.writeString(file, s.getValue());
      }
      assertThat(file).as("%s (run this test with -Droam.write-schemas=true to write it)", file).exists();
      assertThat(Files.readString(file)).as("%s is out of date: run this test with -Droam.write-schemas=true", file)
          .isEqualTo(s.getValue());
    }
  }
}
