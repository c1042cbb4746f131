package io.roam.it;

import static io.roam.it.LocalCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution's conf/logback.xml with JSON lines chosen: every line a master and agents print
 * is a JSON object, the lines of a VM's create, start and migration carry the VM, its host and the
 * migration's id under {@code mdc}, and each daemon logged its effective configuration once.
 */
class JsonLogsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @AfterEach
  void plainLogsAgain() {
    LocalCluster.daemonJvmOptions = List.of();
  }

  @Test
  void jsonLinesParseAndCarryTheVmHostAndMigrationOfAVmOperation() throws Exception {
    Path logback = Checkout.root().resolve("deploy/src/dist/conf/logback.xml");
    LocalCluster.daemonJvmOptions = List.of("-Dlogback.configurationFile=" + logback, "-Droam.log.format=json");
    String migration;
    LocalCluster c = LocalCluster.start(dir, 2);
    try (c) {
      ok(c.ctl("vm", "create", "web", "--program", "idle", "--memory", "32MiB", "--host", "host1", "--start"));
      LocalCluster.Result m = c.ctl("-o", "json", "vm", "migrate", "web", "--to", "host2", "--wait");
      assertThat(m.exit()).as(m.err()).isZero();
      migration = JSON.readTree(m.out()).path("id").asText();
      assertThat(migration).isNotBlank();
    }
    List<JsonNode> master = lines(c.masters.get(0).log);
    List<JsonNode> host1 = lines(c.agents.get("host1").log);
    List<JsonNode> host2 = lines(c.agents.get("host2").log);

    assertThat(master).anySatisfy(l -> {
      assertThat(l.path("formattedMessage").asText()).contains("event vm.created");
      assertThat(l.path("mdc").path("vm").asText()).isEqualTo("web");
      assertThat(l.path("mdc").path("host").asText()).isEqualTo("host1");
    });
    assertThat(master).anySatisfy(l -> {
      assertThat(l.path("formattedMessage").asText()).contains("event migration.started");
      assertThat(l.path("mdc").path("migration").asText()).isEqualTo(migration);
      assertThat(l.path("mdc").path("vm").asText()).isEqualTo("web");
    });
    assertThat(host1).anySatisfy(l -> {
      assertThat(l.path("formattedMessage").asText()).contains("created VM web");
      assertThat(l.path("mdc").path("vm").asText()).isEqualTo("web");
      assertThat(l.path("mdc").path("host").asText()).isEqualTo("host1");
    });
    assertThat(host1).as("the source's lines about the migration name it").anySatisfy(l -> {
      assertThat(l.path("mdc").path("migration").asText()).isEqualTo(migration);
      assertThat(l.path("mdc").path("vm").asText()).isEqualTo("web");
    });
    assertThat(host2).anySatisfy(l -> {
      assertThat(l.path("mdc").path("vm").asText()).isEqualTo("web");
      assertThat(l.path("mdc").path("host").asText()).isEqualTo("host2");
    });
    for (List<JsonNode> daemon : List.of(master, host1, host2)) {
      assertThat(daemon).filteredOn(l -> l.path("formattedMessage").asText().contains("effective configuration")).singleElement()
          .satisfies(l -> assertThat(l.path("formattedMessage").asText()).contains("zk.session-timeout-ms=")
              .contains("(--zk-session-timeout-ms)").contains("(default)"));
    }
  }

  /** Every line of a daemon's log, each parsed as one JSON object (a line that is not fails the test). */
  private static List<JsonNode> lines(Path log) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode n;
      try {
        n = JSON.readTree(line);
      } catch (Exception e) {
        throw new AssertionError("not a JSON line in " + log + ": " + line, e);
      }
      assertThat(n.isObject()).as(line).isTrue();
      assertThat(n.path("level").asText()).as(line).isNotBlank();
      out.add(n);
    }
    assertThat(out).as("lines in %s", log).isNotEmpty();
    return out;
  }

}
