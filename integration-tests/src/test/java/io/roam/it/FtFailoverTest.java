package io.roam.it;

import static io.roam.it.LocalCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FT on real processes: a kv VM without a write-ahead log, protected by a hot secondary, keeps
 * every acknowledged write when its host is killed, is protected again on a third host, and again
 * on a fourth when the third dies.
 */
class FtFailoverTest {
  @TempDir Path dir;

  /** The VM runs on host2, its secondary until now, and the writer's writes are acknowledged again. */
  private static void awaitServingOnTheSecondary(LocalCluster c, KvWriter writer) {
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      JsonNode v = c.vm("kv");
      return v.path("host").asText().equals("host2") && v.path("state").asText().equals("running");
    });
    long before = writer.acked();
    await().atMost(Duration.ofSeconds(60)).until(() -> writer.acked() > before + 50 || writer.failure() != null);
  }

  /**
   * kv on host1 protected by a secondary on host2, with a writer running. No disk: the VM's memory
   * is all there is, so only FT can keep its data through a host failure.
   */
  private static KvWriter protectedKvWithAWriter(LocalCluster c) throws Exception {
    ok(c.ctl("vm", "create", "kv", "--program", "kv", "--memory", "32MiB", "--host", "host1", "--start"));
    ok(c.ctl("vm", "ft", "on", "kv", "--secondary", "host2"));
    await().atMost(Duration.ofSeconds(90)).until(() -> c.vm("kv").path("ftState").asText().equals("protected"));
    assertThat(c.vm("kv").path("ftSecondary").asText()).isEqualTo("host2");
    KvWriter writer = new KvWriter(() -> c.vm("kv").path("endpoint").asText(), Duration.ofSeconds(60));
    await().atMost(Duration.ofSeconds(30)).until(() -> writer.acked() > 50 || writer.failure() != null);
    return writer;
  }

  @Test
  void aProtectedVmSurvivesItsHostsDeathAndIsProtectedAgainEachTimeASecondaryIsLost() throws Exception {
    try (LocalCluster c = LocalCluster.start(dir, 4)) {
      KvWriter writer = protectedKvWithAWriter(c);
      assertThat(c.ctl("vm", "show", "kv").out()).contains("FT:").contains("protected (secondary on host2)");
      long killedAt = System.nanoTime();
      LocalCluster.kill(c.agents.get("host1")); // the agent and its VM processes, as a host dying
      awaitServingOnTheSecondary(c, writer);
      System.out.println("FT: host killed -> the secondary serving acknowledged writes in about "
          + (System.nanoTime() - killedAt) / 1_000_000 + " ms");
      String events = c.ctl("events").out();
      assertThat(events).contains("vm.ft-failover").doesNotContain("vm.restarted");
      // Re-protection without an operator: a new secondary on one of the other live hosts.
      await().atMost(Duration.ofSeconds(90)).until(() -> c.vm("kv").path("ftState").asText().equals("protected"));
      String third = c.vm("kv").path("ftSecondary").asText();
      assertThat(third).isIn("host3", "host4");
      // The new secondary's host dies: the primary runs on (its output released once the tag is
      // off), and protection is restored on the last host.
      LocalCluster.kill(c.agents.get(third));
      String fourth = third.equals("host3") ? "host4" : "host3";
      await().atMost(Duration.ofSeconds(120)).until(() -> c.vm("kv").path("ftState").asText().equals("protected")
          && c.vm("kv").path("ftSecondary").asText().equals(fourth));
      assertThat(c.vm("kv").path("host").asText()).isEqualTo("host2");
      long later = writer.acked();
      await().atMost(Duration.ofSeconds(60)).until(() -> writer.acked() > later + 50 || writer.failure() != null);
      // Every acknowledged write is there and each increment counted once, with no log to replay.
      writer.stopAndVerify();
      // Turned off: the protection ends and the VM runs on, unprotected.
      ok(c.ctl("vm", "ft", "off", "kv"));
      await().atMost(Duration.ofSeconds(60)).until(() -> c.vm("kv").path("ftState").asText().equals("not protected"));
      assertThat(c.vm("kv").path("state").asText()).isEqualTo("running");
      assertThat(WitnessLog.assertNoOverlap(c.datastore())).isGreaterThanOrEqualTo(1);
    }
  }

  /**
   * The protected VM's process dies on a live host: HA fails over to the secondary (memory kept,
   * nothing booted), the host sweeps the dead copy away, and the VM is protected again, on any
   * other host, the crashed one included.
   */
  @Test
  void aProtectedVmWhoseProcessCrashesFailsOverToItsSecondaryAndIsProtectedAgain() throws Exception {
    try (LocalCluster c = LocalCluster.start(dir, 3)) {
      KvWriter writer = protectedKvWithAWriter(c);
      long pid = c.vm("kv").path("pid").asLong();
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      awaitServingOnTheSecondary(c, writer);
      await().atMost(Duration.ofSeconds(90)).until(() -> c.vm("kv").path("ftState").asText().equals("protected"));
      writer.stopAndVerify();
      String events = c.ctl("events", "--vm", "kv").out();
      assertThat(events).contains("vm.ft-failover").contains("crashed on host1 under FT")
          .contains("vm.stale-copy-destroyed").doesNotContain("vm.restarted");
      assertThat(WitnessLog.assertNoOverlap(c.datastore())).isGreaterThanOrEqualTo(2);
    }
  }

  /**
   * SIGSTOP of the primary's agent: its VM runs on until its lease runs out (its output held: no
   * checkpoint is acknowledged), the leader promotes the secondary only after that, and the thawed
   * host destroys its stale copy unrun. The step witness shows never two copies stepping.
   */
  @Test
  void aFrozenPrimaryHostNeverLeavesTwoCopiesSteppingAndLosesNoAcknowledgedWrite() throws Exception {
    try (LocalCluster c = LocalCluster.start(dir, 3)) {
      KvWriter writer = protectedKvWithAWriter(c);
      long oldPid = c.vm("kv").path("pid").asLong();
      ProcessHandle agent = c.agents.get("host1").process.toHandle();
      Runtime.getRuntime().exec(new String[] {"kill", "-STOP", Long.toString(agent.pid())}).waitFor();
      try {
        awaitServingOnTheSecondary(c, writer);
      } finally {
        Runtime.getRuntime().exec(new String[] {"kill", "-CONT", Long.toString(agent.pid())}).waitFor();
      }
      // Thawed: the record names host2, so the old primary's copy goes without stepping again.
      await().atMost(Duration.ofSeconds(60)).until(() -> ProcessHandle.of(oldPid).map(p -> !p.isAlive()).orElse(true));
      writer.stopAndVerify();
      assertThat(c.ctl("events", "--vm", "kv").out()).contains("vm.ft-failover").doesNotContain("vm.restarted");
      assertThat(WitnessLog.assertNoOverlap(c.datastore())).isGreaterThanOrEqualTo(2);
    }
  }
}
