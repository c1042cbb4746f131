package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * roamctl -o json of a real cluster validates against the schemas README documents
 * (docs/schema/roamctl-*.schema.json), with a JSON Schema validator; -o yaml is the same document.
 */
class JsonOutputTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path SCHEMAS = Path.of("..", "docs", "schema");
  @TempDir Path dir;

  @Test
  void everyCommandsJsonMatchesItsSchema() throws Exception {
    try (LocalCluster c = LocalCluster.start(dir, 2)) {
      LocalCluster.ok(c.ctl("vm", "create", "web", "--program", "idle", "--memory", "32MiB", "--host", "host1", "--start"));
      LocalCluster.ok(c.ctl("vm", "migrate", "web", "--to", "host2", "--wait"));
      String id = JSON.readTree(c.ctl("-o", "json", "migration", "ls").out()).path("migrations").path(0).path("id").asText();

      JsonNode vm = valid(c, "vm", "vm", "show", "web");
      assertThat(vm.path("state").asText()).isEqualTo("running");
      assertThat(vm.path("desiredState").asText()).isEqualTo("running");
      assertThat(vm.path("spec").path("memoryBytes").isIntegralNumber()).isTrue();
      assertThat(vm.path("spec").path("memoryBytes").asLong()).isEqualTo(32L << 20);
      valid(c, "vm-list", "vm", "ls");
      JsonNode hosts = valid(c, "host-list", "host", "ls");
      assertThat(hosts.path("hosts").path(0).path("memoryBytes").isIntegralNumber()).isTrue();
      valid(c, "host", "host", "dpm", "host1", "default");
      JsonNode m = valid(c, "migration", "migration", "show", id);
      assertThat(m.path("status").asText()).isEqualTo("completed");
      assertThat(m.path("startedAtMs").isIntegralNumber()).isTrue();
      valid(c, "migration-list", "migration", "ls");
      valid(c, "event-list", "events");
      valid(c, "leader", "leader");
      valid(c, "drs-status", "drs", "status");
      valid(c, "rule-list", "rule", "ls");

      // -o yaml is the same document.
      assertThat(new YAMLMapper().readTree(c.ctl("-o", "yaml", "vm", "show", "web").out()).path("state").asText())
          .isEqualTo("running");
      sameWithoutLoads(hosts, c);
      // A task (after the host listings above: it changes host1's state): host1 is empty, so entering
      // maintenance ends at once.
      JsonNode entered = valid(c, "task", "host", "maintenance", "enter", "host1", "--wait");
      assertThat(entered.path("state").asText()).isEqualTo("succeeded");
      assertThat(valid(c, "task", "task", "show", entered.path("id").asText()).path("percent").asInt()).isEqualTo(100);
      valid(c, "task-list", "task", "ls");

      // The validator would have refused protobuf's mapping of old: an enum's name, a size as a string.
      com.fasterxml.jackson.databind.node.ObjectNode old = vm.deepCopy();
      old.put("state", "VM_STATE_RUNNING");
      ((com.fasterxml.jackson.databind.node.ObjectNode) old.path("spec")).put("memoryBytes", "33554432");
      assertThat(schema("vm").validate(old)).hasSize(2);
    }
  }

  /** host ls again, as YAML, compared without the loads that move between two calls. */
  private static void sameWithoutLoads(JsonNode json, LocalCluster c) throws Exception {
    JsonNode yaml = new YAMLMapper().readTree(c.ctl("-o", "yaml", "host", "ls").out());
    for (JsonNode list : List.of(json, yaml)) {
      list.path("hosts").forEach(h -> ((com.fasterxml.jackson.databind.node.ObjectNode) h).remove(
          List.of("cpuDemand", "memoryUsedBytes")));
    }
    assertThat(yaml).isEqualTo(json);
  }

  private static Schema schema(String name) throws java.io.IOException {
    return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
        .getSchema(JSON.readTree(SCHEMAS.resolve("roamctl-" + name + ".schema.json").toFile()));
  }

  private static JsonNode valid(LocalCluster c, String schemaName, String... command) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of("-o", "json"));
    args.addAll(List.of(command));
    LocalCluster.Result r = c.ctl(args.toArray(String[]::new));
    LocalCluster.ok(r);
    JsonNode output = JSON.readTree(r.out());
    assertThat(schema(schemaName).validate(output)).as("roamctl %s against roamctl-%s.schema.json:\n%s", String.join(" ", command),
        schemaName, r.out()).isEmpty();
    return output;
  }
}
