package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kill scenario in a loop, for soak runs (about 20 s a round): {@code mvn -B verify -Psoak}
 * (rounds: {@code -Droam.soak.rounds=N}, default 20). Not part of the default build.
 */
@Tag("soak")
class HaSoakTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @Test
  void killTheHostOfAWritingKvVmAgainAndAgain() throws Exception {
    int rounds = Integer.getInteger("roam.soak.rounds", 20);
    try (LocalCluster c = LocalCluster.start(dir, 3)) {
      assertThat(c.ctl("vm", "create", "web", "--program", "kv", "--arg", "disk=on", "--memory", "32MiB", "--start").exit())
          .isZero();
      KvWriter writer = new KvWriter(() -> show(c).path("endpoint").asText(), Duration.ofSeconds(60));
      for (int round = 1; round <= rounds; round++) {
        String host = show(c).path("host").asText();
        long epoch = show(c).path("ownerEpoch").asLong();
        long before = writer.acked();
        LocalCluster.kill(c.agents.get(host));
        await().atMost(Duration.ofSeconds(60)).until(() -> show(c).path("ownerEpoch").asLong() > epoch
            && show(c).path("state").asText().equals("running"));
        await().atMost(Duration.ofSeconds(60)).until(() -> writer.acked() > before + 10 || writer.failure() != null);
        assertThat(writer.failure()).as("round %d", round).isNull();
        c.startAgent(host); // the host comes back, empty, for the next rounds
        c.awaitConnectedHosts(3);
        System.out.println("soak round " + round + ": " + writer.acked() + " writes acknowledged so far");
      }
      writer.stopAndVerify();
      WitnessLog.assertNoOverlap(c.datastore());
    }
  }

  private static JsonNode show(LocalCluster c) {
    try {
      return JSON.readTree(c.ctl("-o", "json", "vm", "show", "web").out());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
