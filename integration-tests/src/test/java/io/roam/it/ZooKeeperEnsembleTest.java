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
 * A production-shaped cluster: a three-server ZooKeeper ensemble (separate processes), two
 * masters and three agents. Losing one ZooKeeper server must not look like losing hosts: clients
 * move to the other servers within their session, no VM is restarted, and writes go on. HA still
 * works on the remaining quorum.
 */
class ZooKeeperEnsembleTest {
  @TempDir Path dir;

  @Test
  void losingOneZooKeeperServerRestartsNothingAndHaStillWorksOnTheQuorum() throws Exception {
    try (LocalCluster c = LocalCluster.startWithZooKeeperEnsemble(dir, 2, 3)) {
      ok(c.ctl("vm", "create", "web", "--program", "kv", "--arg", "disk=on", "--memory", "32MiB", "--host", "host1",
          "--start"));
      ok(c.ctl("vm", "create", "batch", "--program", "cpu", "--arg", "share=5", "--memory", "16MiB", "--host", "host2",
          "--start"));
      KvWriter writer = new KvWriter(() -> c.vm("web").path("endpoint").asText(), Duration.ofSeconds(60));
      await().atMost(Duration.ofSeconds(20)).until(() -> writer.acked() > 20);

      LocalCluster.kill(c.ensemble.get(0));
      long before = writer.acked();
      Thread.sleep(3 * LocalCluster.sessionTimeoutMs); // well past a session timeout
      await().atMost(Duration.ofSeconds(20)).until(() -> writer.acked() > before + 50 || writer.failure() != null);
      assertThat(writer.failure()).isNull();
      // Nothing failed over: both VMs are where they were, at their first ownership epoch.
      for (String vm : new String[] {"web", "batch"}) {
        assertThat(c.vm(vm).path("ownerEpoch").asLong()).as(vm).isEqualTo(1);
        assertThat(c.vm(vm).path("state").asText()).as(vm).isEqualTo("running");
      }
      assertThat(c.ctl("events").out()).doesNotContain("vm.restarted").doesNotContain("host.failed");

      // With two of three servers, a dead host's VMs still come back elsewhere.
      LocalCluster.kill(c.agents.get("host1"));
      await().atMost(Duration.ofSeconds(40)).until(() -> {
        JsonNode v = c.vm("web");
        return !v.path("host").asText().equals("host1") && v.path("state").asText().equals("running");
      });
      long after = writer.acked();
      await().atMost(Duration.ofSeconds(30)).until(() -> writer.acked() > after + 20 || writer.failure() != null);
      writer.stopAndVerify();
      assertThat(WitnessLog.assertNoOverlap(c.datastore())).isGreaterThanOrEqualTo(3);
    }
  }
}
