package io.roam.it;

import static io.roam.it.LocalCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.roam.agent.memory.GuestMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HA on real processes: a host dies or freezes; its VMs run again elsewhere, never twice. */
class HaFailoverTest {
  @TempDir Path dir;

  @Test
  void theVmsOfAKilledHostRunAgainElsewhereWithEveryAcknowledgedWrite() throws Exception {
    try (LocalCluster c = LocalCluster.start(dir, 3)) {
      // A kv VM with a disk on the datastore (its write-ahead log), and a second VM.
      ok(c.ctl("vm", "create", "web", "--program", "kv", "--arg", "disk=on", "--memory", "32MiB", "--host", "host1",
          "--start"));
      ok(c.ctl("vm", "create", "batch", "--program", "cpu", "--arg", "share=5", "--memory", "16MiB", "--host", "host1",
          "--start"));
      KvWriter writer = new KvWriter(() -> c.vm("web").path("endpoint").asText(), Duration.ofSeconds(60));
      await().atMost(Duration.ofSeconds(20)).until(() -> writer.acked() > 20);

      long killedAt = System.nanoTime();
      LocalCluster.kill(c.agents.get("host1")); // the agent and its VM processes, as a host dying
      for (String vm : new String[] {"web", "batch"}) {
        await().atMost(Duration.ofSeconds(40)).until(() -> {
          JsonNode v = c.vm(vm);
          return !v.path("host").asText().equals("host1") && v.path("state").asText().equals("running");
        });
        assertThat(c.vm(vm).path("ownerEpoch").asLong()).isEqualTo(2);
      }
      long before = writer.acked();
      await().atMost(Duration.ofSeconds(60)).until(() -> writer.acked() > before + 20 || writer.failure() != null);
      System.out.println("host killed -> VMs running elsewhere and writes acknowledged again in about "
          + (System.nanoTime() - killedAt) / 1_000_000 + " ms");
      writer.stopAndVerify();
      assertThat(WitnessLog.assertNoOverlap(c.datastore())).isEqualTo(4); // two VMs, each on two hosts in turn
      String events = c.ctl("events").out();
      assertThat(events).contains("host.not-responding").contains("host.failed").contains("vm.restarted");
    }
  }

  @Test
  void aFrozenHostsVmPausesBeforeItRunsElsewhereAndIsDestroyedWhenTheHostThaws() throws Exception {
    try (LocalCluster c = LocalCluster.start(dir, 2)) {
      ok(c.ctl("vm", "create", "frozen", "--program", "cpu", "--arg", "share=5", "--memory", "16MiB", "--host", "host1",
          "--start"));
      long oldPid = c.vm("frozen").path("pid").asLong();
      Path oldMemory = c.memoryDir.resolve("host1/frozen.mem");
      ProcessHandle agent = c.agents.get("host1").process.toHandle();
      Runtime.getRuntime().exec(new String[] {"kill", "-STOP", Long.toString(agent.pid())}).waitFor();
      try {
        // The lease runs out: the old copy stops stepping by itself.
        await().atMost(Duration.ofSeconds(15)).until(() -> heartbeatStill(oldMemory));
        long frozenHeartbeat = heartbeat(oldMemory);
        await().atMost(Duration.ofSeconds(40)).until(() -> {
          JsonNode v = c.vm("frozen");
          return v.path("host").asText().equals("host2") && v.path("state").asText().equals("running");
        });
        // Never two copies: the old one has not stepped since it paused.
        assertThat(heartbeat(oldMemory)).isEqualTo(frozenHeartbeat);
      } finally {
        Runtime.getRuntime().exec(new String[] {"kill", "-CONT", Long.toString(agent.pid())}).waitFor();
      }
      // Thawed, the old host finds its session gone and ownership moved: its copy is destroyed unrun.
      await().atMost(Duration.ofSeconds(40)).until(() -> ProcessHandle.of(oldPid).map(p -> !p.isAlive()).orElse(true));
      await().atMost(Duration.ofSeconds(20)).until(() -> !Files.exists(oldMemory));
      JsonNode v = c.vm("frozen");
      assertThat(v.path("host").asText()).isEqualTo("host2");
      assertThat(v.path("ownerEpoch").asLong()).isEqualTo(2);
      assertThat(c.ctl("events", "--vm", "frozen").out()).contains("vm.restarted").contains("vm.stale-copy-destroyed");
      assertThat(WitnessLog.assertNoOverlap(c.datastore())).isEqualTo(2);
    }
  }

  @Test
  void aHungVmWhoseProcessLivesIsPoweredOffAndStartedAgainInPlace() throws Exception {
    LocalCluster.masterOptions = java.util.List.of("--ha-vm-heartbeat-timeout-ms", "3000");
    try (LocalCluster c = LocalCluster.start(dir, 2)) {
      ok(c.ctl("vm", "create", "stuck", "--program", "idle", "--memory", "16MiB", "--host", "host1", "--start"));
      long pid = c.vm("stuck").path("pid").asLong();
      // The process lives but stops stepping: its heartbeat counter no longer moves.
      Runtime.getRuntime().exec(new String[] {"kill", "-STOP", Long.toString(pid)}).waitFor();
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        JsonNode v = c.vm("stuck");
        return v.path("pid").asLong() != pid && v.path("state").asText().equals("running");
      });
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
      JsonNode v = c.vm("stuck");
      assertThat(v.path("host").asText()).isEqualTo("host1");
      assertThat(v.path("ownerEpoch").asLong()).isEqualTo(1); // in place: ownership never moved
      assertThat(c.ctl("events", "--vm", "stuck").out()).contains("vm.hung").contains("vm.restarted");
      assertThat(WitnessLog.assertNoOverlap(c.datastore())).isEqualTo(2);
    } finally {
      LocalCluster.masterOptions = java.util.List.of();
    }
  }

  private static boolean heartbeatStill(Path memory) throws Exception {
    long a = heartbeat(memory);
    Thread.sleep(300);
    return heartbeat(memory) == a;
  }

  private static long heartbeat(Path memory) {
    try (GuestMemory m = GuestMemory.open(memory)) {
      return m.header().heartbeat();
    }
  }
}
