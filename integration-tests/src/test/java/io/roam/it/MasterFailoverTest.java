package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leader master dies: a standby takes over with a newer epoch, and HA still works. */
class MasterFailoverTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @Test
  void aStandbyTakesOverAndStillRestartsTheVmsOfAFailedHost() throws Exception {
    try (LocalCluster c = LocalCluster.startWithExternalZooKeeper(dir, 2, 2)) {
      JsonNode before = leader(c);
      String leaderAddress = before.path("leaderAddress").asText();
      long epoch = before.path("epoch").asLong();
      LocalCluster.Node leader = c.masters.stream().filter(m -> m.address().equals(leaderAddress)).findFirst().orElseThrow();
      assertThat(c.ctl("vm", "create", "svc", "--program", "cpu", "--arg", "share=5", "--memory", "16MiB", "--host", "host1",
          "--start").exit()).isZero();

      LocalCluster.kill(leader);
      await().atMost(Duration.ofSeconds(40)).ignoreExceptions().until(() -> {
        JsonNode l = leader(c);
        return !l.path("leaderAddress").asText().equals(leaderAddress) && l.path("epoch").asLong() > epoch;
      });
      // The new leader serves writes...
      assertThat(c.ctl("vm", "create", "later", "--program", "idle", "--memory", "16MiB").exit()).isZero();
      // ...and runs HA: a host dies, its VM runs again on the other one.
      LocalCluster.kill(c.agents.get("host1"));
      await().atMost(Duration.ofSeconds(40)).until(() -> {
        JsonNode v = JSON.readTree(c.ctl("-o", "json", "vm", "show", "svc").out());
        return v.path("host").asText().equals("host2") && v.path("state").asText().equals("running");
      });
      assertThat(c.ctl("events", "--vm", "svc").out()).contains("vm.restarted");
      assertThat(WitnessLog.assertNoOverlap(c.datastore())).isEqualTo(2);
    }
  }

  private static JsonNode leader(LocalCluster c) throws Exception {
    return JSON.readTree(c.ctl("-o", "json", "leader").out());
  }
}
