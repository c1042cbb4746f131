package io.roam.it;

import static io.roam.it.LocalCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Long operations as tasks, on real masters and agents: --wait returns when the work is done; cancel undoes maintenance. */
class TaskTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** DRS passes every 3 s (maintenance is carried out by DRS); one host may hold every VM (no HA reserve). */
  private static final List<String> FAST_DRS = List.of("--drs-interval-ms", "3000", "--ha-host-failures", "0");
  @TempDir Path dir;

  @AfterEach
  void resetOptions() {
    LocalCluster.masterOptions = List.of();
  }

  @Test
  void maintenanceEnterWaitReturnsWhenTheHostIsEmptyAndCancelExitsMaintenance() throws Exception {
    LocalCluster.masterOptions = FAST_DRS;
    try (LocalCluster c = LocalCluster.start(dir, 2)) {
      ok(c.ctl("vm", "create", "a", "--program", "idle", "--memory", "16MiB", "--host", "host1", "--start"));
      ok(c.ctl("vm", "create", "b", "--program", "idle", "--memory", "16MiB", "--host", "host1", "--start"));

      // roamctl as its own process, its standard output a pipe (in this JVM, System.console() says
      // nothing about the stream the test hands roamctl): the progress line must stay off it.
      io.roam.common.security.TlsFiles admin = c.admin();
      RoamctlProcessTest.Run r = RoamctlProcessTest.roamctl("--master", c.masterAddresses(), "--tls-ca",
          admin.ca().toString(), "--tls-cert", admin.cert().toString(), "--tls-key", admin.key().toString(),
          "host", "maintenance", "enter", "host1", "--wait");
      assertThat(r.exit()).as(r.err()).isZero();
      // Returned: the host is empty now, not some time later.
      assertThat(vmsOn(c, "host1")).as(c.ctl("vm", "ls").out()).isZero();
      assertThat(host(c, "host1").path("state").asText()).isEqualTo("maintenance");
      assertThat(r.out()).contains("State:", "succeeded").doesNotContain("\r").doesNotContain("\u001b[");
      JsonNode task = JSON.readTree(c.ctl("-o", "json", "task", "ls").out()).path("tasks").path(0);
      assertThat(task.path("kind").asText()).isEqualTo("maintenance-enter");
      assertThat(task.path("target").asText()).isEqualTo("host1");
      assertThat(task.path("state").asText()).isEqualTo("succeeded");
      assertThat(task.path("percent").asInt()).isEqualTo(100);

      // An ended task cannot be cancelled: refused, and nothing changes.
      LocalCluster.Result late = c.ctl("task", "cancel", task.path("id").asText());
      assertThat(late.exit()).isEqualTo(1);
      assertThat(late.err()).contains("has already ended: succeeded");
      assertThat(host(c, "host1").path("state").asText()).isEqualTo("maintenance");

      // A VM that must stay keeps host2 entering maintenance: its task runs until cancelled, which exits maintenance.
      ok(c.ctl("host", "maintenance", "exit", "host1"));
      ok(c.ctl("rule", "add", "licence", "--type", "vm-host", "--vms", "b", "--hosts", "host2"));
      JsonNode entering = JSON.readTree(c.ctl("-o", "json", "host", "maintenance", "enter", "host2").out());
      String id = entering.path("taskId").asText();
      assertThat(id).startsWith("maintenance-enter-");
      await().atMost(Duration.ofSeconds(60)).until(() -> task(c, id).path("progress").asText().contains("left on host2"));
      assertThat(task(c, id).path("state").asText()).isEqualTo("running");
      assertThat(task(c, id).path("cancellable").asBoolean()).isTrue();
      ok(c.ctl("task", "cancel", id));
      assertThat(task(c, id).path("state").asText()).isEqualTo("cancelled");
      assertThat(host(c, "host2").path("state").asText()).isEqualTo("connected");
      assertThat(c.ctl("task", "show", id, "--wait").exit()).as("--wait on a cancelled task").isEqualTo(1);
    }
  }

  @Test
  void powerOffAndOnWaitReturnWhenTheHostIsInStandbyAndThenBack() throws Exception {
    LocalCluster.masterOptions = FAST_DRS;
    try (LocalCluster c = LocalCluster.start(dir, 2)) {
      c.definePowerDriver("host2");
      ok(c.ctl("host", "power-driver", "host2", "--name", "host2"));
      ok(c.ctl("vm", "create", "a", "--program", "idle", "--memory", "16MiB", "--host", "host2", "--start"));
      ProcessHandle agent = c.agents.get("host2").process.toHandle();

      ok(c.ctl("host", "power", "off", "host2", "--wait"));
      assertThat(host(c, "host2").path("state").asText()).isEqualTo("standby");
      assertThat(vmsOn(c, "host2")).isZero();
      assertThat(agent.isAlive()).as("powered off through its driver").isFalse();

      LocalCluster.Result on = c.ctl("-o", "json", "host", "power", "on", "host2", "--wait");
      ok(on);
      assertThat(JSON.readTree(on.out()).path("state").asText()).as("-o json --wait prints the ended task")
          .isEqualTo("succeeded");
      assertThat(host(c, "host2").path("state").asText()).isEqualTo("connected");
    }
  }

  private static JsonNode task(LocalCluster c, String id) throws Exception {
    return JSON.readTree(c.ctl("-o", "json", "task", "show", id).out());
  }

  private static JsonNode host(LocalCluster c, String name) throws Exception {
    for (JsonNode h : JSON.readTree(c.ctl("-o", "json", "host", "ls").out()).path("hosts")) {
      if (h.path("name").asText().equals(name)) {
        return h;
      }
    }
    throw new AssertionError("no host " + name);
  }

  private static long vmsOn(LocalCluster c, String host) throws Exception {
    long n = 0;
    for (JsonNode v : JSON.readTree(c.ctl("-o", "json", "vm", "ls").out()).path("vms")) {
      n += v.path("host").asText().equals(host) ? 1 : 0;
    }
    return n;
  }
}
