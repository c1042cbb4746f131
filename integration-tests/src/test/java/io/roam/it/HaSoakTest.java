package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roam.common.kv.KvClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
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
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong acked = new AtomicLong();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread writer = new Thread(() -> {
        try (KvClient k = new KvClient(() -> show(c).path("endpoint").asText(), Duration.ofSeconds(60))) {
          while (!stop.get()) {
            long n = acked.get();
            k.put("key" + n, "value" + n);
            k.increment("counter");
            acked.incrementAndGet();
          }
        } catch (Throwable t) {
          failure.set(t);
        }
      });
      writer.start();
      for (int round = 1; round <= rounds; round++) {
        String host = show(c).path("host").asText();
        long epoch = show(c).path("ownerEpoch").asLong();
        long before = acked.get();
        LocalCluster.kill(c.agents.get(host));
        await().atMost(Duration.ofSeconds(60)).until(() -> show(c).path("ownerEpoch").asLong() > epoch
            && show(c).path("state").asText().equals("VM_STATE_RUNNING"));
        await().atMost(Duration.ofSeconds(60)).until(() -> acked.get() > before + 10 || failure.get() != null);
        assertThat(failure.get()).as("round %d", round).isNull();
        c.startAgent(host); // the host comes back, empty, for the next rounds
        c.awaitConnectedHosts(3);
        System.out.println("soak round " + round + ": " + acked.get() + " writes acknowledged so far");
      }
      stop.set(true);
      writer.join(60_000);
      long n = acked.get();
      try (KvClient k = new KvClient(() -> show(c).path("endpoint").asText(), Duration.ofSeconds(10))) {
        for (long i = 0; i < n; i++) {
          assertThat(k.get("key" + i)).as("acknowledged write %d", i).contains("value" + i);
        }
        assertThat(k.increment("counter") - 1).isEqualTo(n);
      }
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
