package io.roam.it;

import static io.roam.it.LocalCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FT across a network cut between the primary's host and the secondary's only (both still reach
 * the masters and ZooKeeper; packets between them are dropped silently). The primary, whose
 * checkpoints go unacknowledged, ends the protection by taking its tag off the owner record, and
 * only then releases its held output; the secondary, cut off, goes once the tag is gone. Never two
 * copies, no acknowledged write lost, the VM never leaves its host; healed, it is protected again.
 */
class FtNetworkCutTest {
  @TempDir Path dir;

  @AfterEach
  void reset() {
    LocalCluster.masterAddress = "127.0.0.1";
  }

  @Test
  void aCutBetweenPrimaryAndSecondaryEndsTheProtectionWithOneCopyRunningAndReprotectsWhenHealed()
      throws Exception {
    Assumptions.assumeTrue(NetworkNamespaces.available() && NetworkNamespaces.firewallAvailable(),
        "needs root, iproute2 and iptables for network namespaces and the cut");
    int id = (int) (ProcessHandle.current().pid() % 200);
    try (NetworkNamespaces net = new NetworkNamespaces(id)) {
      String primaryNs = "roam-ftp-" + id;
      String secondaryNs = "roam-fts-" + id;
      String primary = net.add(primaryNs, 11);
      String secondary = net.add(secondaryNs, 12);
      LocalCluster.masterAddress = net.gateway();
      try (LocalCluster c = new LocalCluster(dir)) {
        c.zkPort = LocalCluster.freePort();
        c.startMaster("master1", "");
        c.startAgent("host1", NetworkNamespaces.exec(primaryNs), List.of("--address", primary));
        c.startAgent("host2", NetworkNamespaces.exec(secondaryNs), List.of("--address", secondary));
        c.awaitConnectedHosts(2);
        ok(c.ctl("vm", "create", "kv", "--program", "kv", "--memory", "32MiB", "--host", "host1", "--start"));
        ok(c.ctl("vm", "ft", "on", "kv", "--secondary", "host2"));
        await().atMost(Duration.ofSeconds(90)).until(() -> c.vm("kv").path("ftState").asText().equals("protected"));
        Path secondaryMemory = c.memoryDir.resolve("host2/kv.mem");
        assertThat(secondaryMemory).exists();
        KvWriter writer = new KvWriter(() -> c.vm("kv").path("endpoint").asText(), Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(30)).until(() -> writer.acked() > 50 || writer.failure() != null);

        net.cutFrom(primaryNs, secondary, true);
        try {
          // The protection ends on the primary, which runs on alone; the secondary goes.
          await().atMost(Duration.ofSeconds(60)).until(() -> c.vm("kv").path("ftState").asText()
              .equals("needs secondary") || c.vm("kv").path("ftState").asText().equals("starting"));
          await().atMost(Duration.ofSeconds(60)).until(() -> !Files.exists(secondaryMemory));
          long before = writer.acked();
          await().atMost(Duration.ofSeconds(60)).until(() -> writer.acked() > before + 50 || writer.failure() != null);
          JsonNode v = c.vm("kv");
          assertThat(v.path("host").asText()).isEqualTo("host1");
          assertThat(v.path("ownerEpoch").asLong()).as("ownership never moved").isEqualTo(1);
        } finally {
          net.cutFrom(primaryNs, secondary, false);
        }
        // Healed: the leader seeds a secondary again by itself.
        await().atMost(Duration.ofSeconds(120)).until(() -> c.vm("kv").path("ftState").asText().equals("protected"));
        assertThat(c.vm("kv").path("ftSecondary").asText()).isEqualTo("host2");
        writer.stopAndVerify();
        assertThat(c.ctl("events", "--vm", "kv").out()).contains("ft.ended").doesNotContain("vm.ft-failover");
        assertThat(WitnessLog.assertNoOverlap(c.datastore())).isEqualTo(1); // one copy ever stepped
      }
    }
  }
}
