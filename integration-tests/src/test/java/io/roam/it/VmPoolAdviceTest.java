package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leader sizes each agent's pool of waiting VM JVMs from the VMs HA would restart there
 * (PoolAdvice, carried by the heartbeat acknowledgements), on real processes: with six VMs on
 * host1 and pools configured at 0 to 8, host2 and host3 come to hold six waiting JVMs between them
 * and host1, which would receive nothing, none; when three VMs go, the pools shrink to three.
 */
class VmPoolAdviceTest {
  @TempDir Path dir;

  @Test
  void poolsGrowToWhatAFailoverWouldBringAndShrinkWhenItBringsLess() throws Exception {
    List<String> before = LocalCluster.agentOptions;
    LocalCluster.agentOptions = List.of("--vm-pool-size", "0", "--vm-pool-max", "8");
    try (LocalCluster c = LocalCluster.start(dir, 3)) {
      for (int i = 0; i < 6; i++) {
        ok(c.ctl("vm", "create", "v" + i, "--program", "idle", "--memory", "16MiB", "--host", "host1", "--start"));
      }
      await().atMost(Duration.ofSeconds(120)).until(() -> waiting(c, "host2") + waiting(c, "host3") == 6);
      assertThat(waiting(c, "host2")).as("placement spreads six idle VMs over two hosts").isBetween(2L, 4L);
      assertThat(waiting(c, "host1")).as("host1 would receive nothing").isZero();

      for (int i = 0; i < 3; i++) {
        ok(c.ctl("vm", "destroy", "v" + i));
      }
      await().atMost(Duration.ofSeconds(120)).until(() -> waiting(c, "host2") + waiting(c, "host3") == 3);
      Thread.sleep(6_000); // a full advice period later, still three: the pools settled, not just passing by
      assertThat(waiting(c, "host2") + waiting(c, "host3")).isEqualTo(3);
    } finally {
      LocalCluster.agentOptions = before;
    }
  }

  /** Waiting JVMs of the host's pool that listen (one socket each). */
  private static long waiting(LocalCluster c, String host) throws IOException {
    Path pool = c.dir.resolve(host).resolve("run").resolve("vm-pool");
    if (!Files.exists(pool)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(pool)) {
      return files.filter(f -> f.toString().endsWith(".sock")).count();
    }
  }

  private static void ok(LocalCluster.Result r) {
    assertThat(r.exit()).as(r.err()).isZero();
  }
}
