package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No false failover at the default timing (issue 12): a healthy cluster runs for
 * {@code roam.soak.minutes} (default 30) with every core saturated by busy threads that also churn
 * garbage, agents on small heaps with the serial collector (every collection stops the ZooKeeper
 * client too), VMs on 16 MiB heaps under writing kv clients, and a cpu VM per host; then the event
 * log must show no host failed, fenced or isolated, no VM restarted, hung, crashed or fenced by its
 * agent; every VM must still be on its host at owner epoch 1, and every acknowledged write there.
 *
 * <p>Not in the default build: {@code mvn -B verify -pl integration-tests -am -Psoak
 * -Dtest=FalseFailoverSoakTest -Droam.soak.minutes=30 -Dsurefire.failIfNoSpecifiedTests=false}. It
 * saturates the machine's CPU for that long.
 */
@Tag("soak")
class FalseFailoverSoakTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** What a false failover (or a false self-fencing of an agent) leaves in the event log. */
  private static final List<String> FAILOVER_EVENTS = List.of("host.failed", "host.fenced", "host.isolated",
      "vm.restarted", "vm.hung", "vm.fenced", "vm.crashed");
  @TempDir Path dir;

  @Test
  void aSaturatedClusterUnderGcPressureFailsNoHealthyHostOver() throws Exception {
    double minutes = Double.parseDouble(System.getProperty("roam.soak.minutes", "30"));
    LocalCluster.defaultAgentJvmOptions = List.of("-Xmx48m", "-XX:+UseSerialGC",
        "-Droam.vm.jvm-options=-Xmx16m -Xmn2m");
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> burners = new ArrayList<>();
    List<KvWriter> writers = new ArrayList<>();
    try (LocalCluster c = LocalCluster.start(dir, 3)) {
      for (int h = 1; h <= 3; h++) {
        ok(c.ctl("vm", "create", "kv" + h, "--program", "kv", "--arg", "disk=on", "--memory", "32MiB", "--host",
            "host" + h, "--start"));
        ok(c.ctl("vm", "create", "cpu" + h, "--program", "cpu", "--arg", "share=50", "--memory", "16MiB", "--host",
            "host" + h, "--start"));
        String vm = "kv" + h;
        writers.add(new KvWriter(() -> c.vm(vm).path("endpoint").asText(), Duration.ofSeconds(60)));
      }
      Map<String, String> hostOf = new HashMap<>();
      for (String vm : List.of("kv1", "kv2", "kv3", "cpu1", "cpu2", "cpu3")) {
        hostOf.put(vm, c.vm(vm).path("host").asText());
      }
      long eventsBefore = lastSeq(c);
      // Two busy threads per core, each also making garbage: the CPU stays saturated throughout.
      for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors(); i++) {
        Thread t = new Thread(() -> burn(stop), "burner-" + i);
        t.setDaemon(true);
        t.start();
        burners.add(t);
      }
      long end = System.nanoTime() + (long) (minutes * 60e9);
      while (System.nanoTime() < end) {
        Thread.sleep(10_000);
        for (KvWriter w : writers) {
          assertThat(w.failure()).isNull();
        }
        List<String> bad = failoverEvents(c, eventsBefore);
        assertThat(bad).as("failovers of healthy hosts").isEmpty();
        System.out.printf("soak: %.1f of %.1f min, writes acknowledged %s, no failover%n",
            minutes - (end - System.nanoTime()) / 60e9, minutes, writers.stream().map(KvWriter::acked).toList());
      }
      stop.set(true);
      for (Thread t : burners) {
        t.join();
      }
      for (KvWriter w : writers) {
        w.stopAndVerify();
      }
      assertThat(failoverEvents(c, eventsBefore)).as("failovers of healthy hosts").isEmpty();
      for (Map.Entry<String, String> e : hostOf.entrySet()) {
        JsonNode v = c.vm(e.getKey());
        assertThat(v.path("host").asText()).as("VM %s stayed on its host", e.getKey()).isEqualTo(e.getValue());
        assertThat(v.path("ownerEpoch").asLong()).as("VM %s was never restarted elsewhere", e.getKey()).isEqualTo(1);
        assertThat(v.path("state").asText()).isEqualTo("running");
      }
    } finally {
      stop.set(true);
      LocalCluster.defaultAgentJvmOptions = List.of();
    }
  }

  /** Spins, allocating short-lived arrays and keeping a few alive for a while (old-generation churn). */
  private static void burn(AtomicBoolean stop) {
    Object[] keep = new Object[256];
    long x = 0;
    int i = 0;
    while (!stop.get()) {
      byte[] b = new byte[1024 + (int) (x & 4095)];
      b[0] = (byte) x;
      x = x * 6364136223846793005L + b.length;
      if ((x & 63) == 0) {
        keep[i++ & 255] = b;
      }
    }
  }

  private static long lastSeq(LocalCluster c) throws Exception {
    long last = 0;
    for (JsonNode e : JSON.readTree(c.ctl("-o", "json", "events").out()).path("events")) {
      last = Math.max(last, e.path("seq").asLong());
    }
    return last;
  }

  /** Events after {@code afterSeq} that a failover or a host's self-fencing writes, as lines. */
  private static List<String> failoverEvents(LocalCluster c, long afterSeq) throws Exception {
    List<String> bad = new ArrayList<>();
    for (JsonNode e : JSON.readTree(c.ctl("-o", "json", "events").out()).path("events")) {
      if (e.path("seq").asLong() > afterSeq && FAILOVER_EVENTS.contains(e.path("kind").asText())) {
        bad.add(e.path("kind").asText() + " " + e.path("vm").asText() + " " + e.path("host").asText() + ": "
            + e.path("message").asText());
      }
    }
    return bad;
  }

  private static void ok(LocalCluster.Result r) {
    assertThat(r.exit()).as(r.err()).isZero();
  }
}
