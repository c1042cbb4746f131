package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./roam down} stops, from another process, the cluster {@code ./roam up} started: the up
 * process and every daemon it started end, and a second down finds nothing to stop.
 */
class RoamDownTest {
  @TempDir Path dir;

  @Test
  void downStopsTheClusterOfUpFromAnotherProcess() throws Exception {
    Path root = Checkout.root();
    Path dist = root.resolve("deploy/target/roam/roam");
    assertThat(dist.resolve("lib")).as("the unpacked distribution (the reactor packages deploy first)").exists();
    Path run = dir.resolve("run");
    Path memory = Path.of("/dev/shm", "roam-down-" + UUID.randomUUID());
    Map<String, String> env = Map.of("ROAM_DIST", dist.toString(), "ROAM_RUN_DIR", run.toString(),
        "ROAM_UP_ZK_PORT", Integer.toString(LocalCluster.freePort()),
        "ROAM_UP_MASTER_PORT", Integer.toString(LocalCluster.freePort()),
        "ROAM_UP_MASTER_METRICS_PORT", Integer.toString(LocalCluster.freePort()),
        "ROAM_UP_AGENT_PORT", Integer.toString(freeRun(3)), "ROAM_UP_AGENT_METRICS_PORT", Integer.toString(freeRun(3)),
        "ROAM_UP_AGENT_MEMORY", "512MiB", "AGENT_OPTS", "--vm-pool-size 0 --memory-dir " + memory);
    Path upLog = dir.resolve("up.log");
    ProcessBuilder b = new ProcessBuilder(root.resolve("roam").toString(), "up").redirectErrorStream(true)
        .redirectOutput(upLog.toFile());
    environment(b, env);
    Process up = b.start();
    try {
      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        assertThat(up.isAlive()).as("./roam up exited: %s", Files.readString(upLog)).isTrue();
        return Files.readString(upLog).contains("roam: cluster up");
      });
      List<Long> daemons = new ArrayList<>();
      for (String name : List.of("master1", "host1", "host2", "host3")) {
        daemons.add(Long.parseLong(Files.readString(run.resolve("pids/" + name + ".pid")).strip()));
      }
      assertThat(daemons).allMatch(RoamDownTest::alive);

      ProcessBuilder d = new ProcessBuilder(root.resolve("roam").toString(), "down").redirectErrorStream(true);
      environment(d, env);
      Process down = d.start();
      String said = new String(down.getInputStream().readAllBytes());
      assertThat(down.waitFor(150, TimeUnit.SECONDS)).isTrue();
      assertThat(down.exitValue()).as(said).isZero();
      assertThat(said).contains("roam: stopped");

      assertThat(up.waitFor(10, TimeUnit.SECONDS)).as("./roam up has ended").isTrue();
      assertThat(daemons).noneMatch(RoamDownTest::alive);
      assertThat(run.resolve("pids/up.pid")).doesNotExist();

      Process again = d.start();
      String second = new String(again.getInputStream().readAllBytes());
      assertThat(again.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(again.exitValue()).isZero();
      assertThat(second).contains("nothing to stop");
    } finally {
      if (up.isAlive()) {
        up.destroy();
        up.waitFor(60, TimeUnit.SECONDS);
      }
      if (Files.exists(memory)) {
        try (var files = Files.walk(memory)) {
          for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(f);
          }
        }
      }
    }
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private static void environment(ProcessBuilder b, Map<String, String> env) {
    b.environment().keySet().removeIf(k -> k.startsWith("ROAM_"));
    b.environment().put("JAVA_HOME", System.getProperty("java.home"));
    b.environment().putAll(env);
  }

  /** The first of {@code count} consecutive ports that are all free now (./roam up numbers its agents' ports on). */
  private static int freeRun(int count) throws IOException {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = 20_000 + ThreadLocalRandom.current().nextInt(10_000);
      if (allFree(base, count)) {
        return base;
      }
    }
    throw new IOException("no " + count + " consecutive free ports found");
  }

  private static boolean allFree(int base, int count) {
    for (int p = base; p < base + count; p++) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }

}
