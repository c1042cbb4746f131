package io.roam.it;

import static io.roam.it.LocalCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host cut off the network (its namespace's link down) but not from the datastore (a local
 * directory): the leader sees its session gone while its datastore heartbeat still moves, calls
 * it isolated, and restarts its VMs elsewhere once the isolated agent has powered them off; when
 * the link comes back the host destroys its stale copies. Never two copies, no acknowledged write
 * lost.
 */
class IsolationTest {
  @TempDir Path dir;

  @AfterEach
  void reset() {
    LocalCluster.masterAddress = "127.0.0.1";
  }

  @Test
  void anIsolatedHostsVmsRestartElsewhereAndItsStaleCopiesAreDestroyedWhenItReturns() throws Exception {
    Assumptions.assumeTrue(NetworkNamespaces.available(), "needs root and iproute2 for network namespaces");
    int id = (int) (ProcessHandle.current().pid() % 200);
    String ns = "roam-it-" + id;
    try (NetworkNamespaces net = new NetworkNamespaces(id)) {
      String address = net.add(ns, 11);
      LocalCluster.masterAddress = net.gateway();
      try (LocalCluster c = new LocalCluster(dir)) {
        c.zkPort = LocalCluster.freePort();
        c.startMaster("master1", "");
        c.startAgent("host1", NetworkNamespaces.exec(ns), List.of("--address", address));
        c.startAgent("host2");
        c.awaitConnectedHosts(2);
        ok(c.ctl("vm", "create", "web", "--program", "kv", "--arg", "disk=on", "--memory", "32MiB", "--host", "host1",
            "--start"));
        KvWriter writer = new KvWriter(() -> c.vm("web").path("endpoint").asText(), Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(20)).until(() -> writer.acked() > 20);

        net.link(ns, 11, false);
        await().atMost(Duration.ofSeconds(30)).until(() -> c.ctl("events", "--host", "host1").out()
            .contains("host.isolated"));
        await().atMost(Duration.ofSeconds(40)).until(() -> {
          JsonNode v = c.vm("web");
          return v.path("host").asText().equals("host2") && v.path("state").asText().equals("running");
        });
        long before = writer.acked();
        await().atMost(Duration.ofSeconds(30)).until(() -> writer.acked() > before + 20 || writer.failure() != null);

        net.link(ns, 11, true);
        await().atMost(Duration.ofSeconds(40)).until(() -> c.ctl("events", "--vm", "web").out()
            .contains("vm.stale-copy-destroyed"));
        await().atMost(Duration.ofSeconds(20)).until(() -> c.ctl("host", "ls").out().lines()
            .anyMatch(l -> l.startsWith("host1") && l.contains(" connected ")));
        writer.stopAndVerify();
        assertThat(c.vm("web").path("ownerEpoch").asLong()).isEqualTo(2);
        assertThat(WitnessLog.assertNoOverlap(c.datastore())).isEqualTo(2);
      }
    }
  }
}
