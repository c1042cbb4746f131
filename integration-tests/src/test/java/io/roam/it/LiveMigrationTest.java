package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.kv.KvClient;
import io.roam.common.model.OwnerRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Live migration between agents that are real processes, driven through roamctl. */
class LiveMigrationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @Test
  void kvDataSurvivesManyMigrationsWithAClientWritingAllTheTime() throws Exception {
    try (LocalCluster c = LocalCluster.start(dir, 2); CuratorFramework zk = zk(c)) {
      // The writer cycles through KvWriter.KEYS keys: the table never fills, however fast the machine is.
      ok(c.ctl("vm", "create", "shop", "--program", "kv", "--memory", "128MiB", "--host", "host1", "--start"));
      KvWriter writer = new KvWriter(() -> endpoint(zk, "shop"), Duration.ofSeconds(20));
      await().atMost(Duration.ofSeconds(10)).until(() -> writer.acked() > 50);
      for (int i = 0; i < 20; i++) {
        String to = i % 2 == 0 ? "host2" : "host1";
        JsonNode m = migrate(c, "shop", to, "--verify-full");
        assertThat(m.path("status").asText()).as("migration %d: %s", i, m.path("error").asText()).isEqualTo("completed");
        assertThat(hostAndEpoch(owner(zk, "shop"))).isEqualTo(to + " " + (i + 2));
      }
      long before = writer.acked();
      await().atMost(Duration.ofSeconds(10)).until(() -> writer.acked() > before + 20 || writer.failure() != null);
      writer.stopAndVerify();
      assertThat(c.ctl("migration", "ls").out().lines().filter(l -> l.contains(" completed ")).count()).isEqualTo(20);
    }
  }

  @Test
  void badMigrationRequestsGetOneClearErrorAndCancelKeepsTheVmAtHome() throws Exception {
    // Two 1 GiB hosts filled past what survives a host failure: HA admission control is off here.
    LocalCluster.masterOptions = java.util.List.of("--ha-host-failures", "0");
    try (LocalCluster c = LocalCluster.start(dir, 2); CuratorFramework zk = zk(c)) {
      ok(c.ctl("vm", "create", "web", "--program", "idle", "--memory", "64MiB", "--host", "host1", "--start"));
      ok(c.ctl("vm", "create", "parked", "--program", "idle", "--memory", "16MiB", "--host", "host1"));
      ok(c.ctl("vm", "create", "big", "--program", "idle", "--memory", "700MiB", "--host", "host1", "--start"));
      ok(c.ctl("vm", "create", "filler", "--program", "idle", "--memory", "400MiB", "--host", "host2"));

      expectError(c, "no VM named ghost", "vm", "migrate", "ghost", "--to", "host2");
      expectError(c, "unknown host 'nowhere'", "vm", "migrate", "web", "--to", "nowhere");
      expectError(c, "VM web already runs on host host1", "vm", "migrate", "web", "--to", "host1");
      expectError(c, "VM parked is created; only a running VM can be migrated", "vm", "migrate", "parked", "--to", "host2");
      expectError(c, "destination host host2 has 624 MiB of guest memory free; VM big needs 700 MiB",
          "vm", "migrate", "big", "--to", "host2");

      // A slow migration (4 MiB/s) is under way; a second one of the same VM is refused; cancel it.
      JsonNode m = JSON.readTree(c.ctl("-o", "json", "vm", "migrate", "web", "--to", "host2", "--max-bandwidth", "4MiB/s").out());
      String id = m.path("id").asText();
      await().atMost(Duration.ofSeconds(30)).until(() -> show(c, id).path("bytesTransferred").asLong() > 0);
      expectError(c, "VM web is already migrating (" + id + ")", "vm", "migrate", "web", "--to", "host2");
      assertThat(c.ctl("migration", "cancel", id).exit()).isZero();
      await().atMost(Duration.ofSeconds(30)).until(() -> show(c, id).path("status").asText().equals("cancelled"));
      assertThat(show(c, id).path("error").asText()).contains("kept running on host1");
      assertThat(owner(zk, "web")).isEqualTo(new OwnerRecord("host1", 1));
      JsonNode vm = JSON.readTree(c.ctl("-o", "json", "vm", "show", "web").out());
      assertThat(vm.path("state").asText()).isEqualTo("running");
      assertThat(vm.path("host").asText()).isEqualTo("host1");
      expectError(c, "no migration nope", "migration", "show", "nope");
      String events = c.ctl("events", "--vm", "web").out();
      assertThat(events).contains("migration.started").contains("migration.cancelled");
      await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(c.memoryDir.resolve("host2/web.mem")));
    }
  }

  @Test
  void killingTheDestinationDuringPrecopyLeavesTheVmRunningOnTheSource() throws Exception {
    try (LocalCluster c = LocalCluster.start(dir, 2); CuratorFramework zk = zk(c)) {
      // An idle VM: 64 MiB of non-zero pages that do not change, copied at 2 MiB/s (about 30 s).
      ok(c.ctl("vm", "create", "steady", "--program", "idle", "--memory", "64MiB", "--host", "host1", "--start"));
      Path memory = c.memoryDir.resolve("host1/steady.mem");
      long digest = digest(memory);
      JsonNode m = JSON.readTree(c.ctl("-o", "json", "vm", "migrate", "steady", "--to", "host2", "--max-bandwidth",
          "2MiB/s").out());
      String id = m.path("id").asText();
      await().atMost(Duration.ofSeconds(30)).until(() -> show(c, id).path("bytesTransferred").asLong() > 0);
      LocalCluster.kill(c.agents.get("host2"));
      await().atMost(Duration.ofSeconds(30)).until(() -> show(c, id).path("status").asText().equals("failed"));
      assertThat(show(c, id).path("error").asText()).contains("kept running on host1");

      assertThat(owner(zk, "steady")).isEqualTo(new OwnerRecord("host1", 1));
      JsonNode vm = JSON.readTree(c.ctl("-o", "json", "vm", "show", "steady").out());
      assertThat(vm.path("host").asText()).isEqualTo("host1");
      assertThat(vm.path("state").asText()).isEqualTo("running");
      long hb = heartbeat(memory);
      await().atMost(Duration.ofSeconds(5)).until(() -> heartbeat(memory) > hb);
      assertThat(digest(memory)).as("the source's memory is unchanged").isEqualTo(digest);

      // The destination comes back with nothing of the VM.
      LocalCluster.Node restarted = c.startAgent("host2");
      await().atMost(Duration.ofSeconds(60)).until(() -> servingCount(restarted.log, "host2") == 2);
      assertThat(c.memoryDir.resolve("host2")).isEmptyDirectory();
    }
  }

  @Test
  void sourceFaultsBeforeAndAfterTheOwnershipMoveKeepExactlyOneCopy() throws Exception {
    LocalCluster c = new LocalCluster(dir);
    try (c) {
      c.zkPort = LocalCluster.freePort();
      c.startMaster("master1", "");
      c.agentJvmOptions = List.of("-Droam.faults=migration.source.beforeCas=fail,migration.source.afterCas=crash");
      c.startAgent("host1");
      c.agentJvmOptions = List.of();
      c.startAgent("host2");
      c.awaitConnectedHosts(2);
      try (CuratorFramework zk = zk(c)) {
        ok(c.ctl("vm", "create", "shop", "--program", "kv", "--memory", "32MiB", "--host", "host1", "--start"));
        try (KvClient k = new KvClient(() -> endpoint(zk, "shop"), Duration.ofSeconds(10))) {
          k.put("a", "1");
        }
        long sourcePid = JSON.readTree(c.ctl("-o", "json", "vm", "show", "shop").out()).path("pid").asLong();

        // 1: the source fails just before the compare-and-set: the VM resumes on the source.
        JsonNode first = migrate(c, "shop", "host2");
        assertThat(first.path("status").asText()).isEqualTo("failed");
        assertThat(first.path("error").asText()).contains("fault injected at migration.source.beforeCas");
        assertThat(hostAndEpoch(owner(zk, "shop"))).isEqualTo("host1 1");
        try (KvClient k = new KvClient(() -> endpoint(zk, "shop"), Duration.ofSeconds(10))) {
          assertThat(k.get("a")).contains("1");
          k.put("b", "2");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(c.memoryDir.resolve("host2/shop.mem")));

        // 2: the source agent dies just after the compare-and-set: the destination runs the VM.
        c.ctl("-o", "json", "vm", "migrate", "shop", "--to", "host2");
        assertThat(c.agents.get("host1").process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> hostAndEpoch(owner(zk, "shop")).equals("host2 2"));
        try (KvClient k = new KvClient(() -> endpoint(zk, "shop"), Duration.ofSeconds(20))) {
          assertThat(k.get("a")).contains("1");
          assertThat(k.get("b")).contains("2");
        }
        JsonNode vm = JSON.readTree(c.ctl("-o", "json", "vm", "show", "shop").out());
        assertThat(vm.path("host").asText()).isEqualTo("host2");
        assertThat(vm.path("state").asText()).isEqualTo("running");
        // The source's copy was paused for the switchover and never runs again...
        long hb = heartbeat(c.memoryDir.resolve("host1/shop.mem"));
        Thread.sleep(500);
        assertThat(heartbeat(c.memoryDir.resolve("host1/shop.mem"))).isEqualTo(hb);
        // ...and a restarted source agent removes it.
        LocalCluster.Node restarted = c.startAgent("host1");
        await().atMost(Duration.ofSeconds(60)).until(() -> servingCount(restarted.log, "host1") == 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(sourcePid).map(p -> !p.isAlive()).orElse(true));
        assertThat(c.memoryDir.resolve("host1/shop.mem")).doesNotExist();
      }
    }
  }

  /**
   * The source dies after the memory verified but before its compare-and-set. Only the owner's
   * agent may write the owner record (ZooKeeper ACLs), so the destination cannot rewrite it to fence
   * the source's compare-and-set itself: it asks a master, which rewrites the record unchanged; the
   * destination then sees the record moved on without naming it and discards its copy. Exactly one
   * copy runs afterwards (HA restarts the VM, as the source's host is gone).
   */
  @Test
  void aDestinationThatLosesItsSourceBeforeTheSwitchoverFencesItThroughAMaster() throws Exception {
    LocalCluster c = new LocalCluster(dir);
    try (c) {
      c.zkPort = LocalCluster.freePort();
      c.startMaster("master1", "");
      c.agentJvmOptions = List.of("-Droam.faults=migration.source.beforeCas=crash");
      c.startAgent("host1");
      c.agentJvmOptions = List.of();
      LocalCluster.Node host2 = c.startAgent("host2");
      c.awaitConnectedHosts(2);
      try (CuratorFramework zk = zk(c)) {
        ok(c.ctl("vm", "create", "shop", "--program", "kv", "--memory", "32MiB", "--host", "host1", "--start"));
        OwnerRecord before = owner(zk, "shop");
        org.apache.zookeeper.data.Stat stat = zk.checkExists().forPath(ZkPaths.vmOwner("shop"));
        long sourcePid = JSON.readTree(c.ctl("-o", "json", "vm", "show", "shop").out()).path("pid").asLong();

        c.ctl("-o", "json", "vm", "migrate", "shop", "--to", "host2");
        assertThat(c.agents.get("host1").process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(host2.log).contains("discarding the copy here"));
        String masterLog = Files.readString(c.masters.get(0).log);
        assertThat(masterLog).contains("VM shop: owner record fenced at version " + stat.getVersion()
            + " for migration destination host2");
        assertThat(Files.readString(host2.log)).doesNotContain("NoAuth");
        // HA, not the fence, moves the VM: the fence left host and epoch as they were.
        await().atMost(Duration.ofSeconds(60)).until(() -> owner(zk, "shop").epoch() > before.epoch());
        assertThat(owner(zk, "shop").host()).isEqualTo("host2");
        await().atMost(Duration.ofSeconds(60)).until(() -> JSON.readTree(c.ctl("-o", "json", "vm", "show", "shop").out())
            .path("state").asText().equals("running"));
        // The source's copy outlived its agent, paused; the agent back on its host removes it.
        LocalCluster.Node restarted = c.startAgent("host1");
        await().atMost(Duration.ofSeconds(60)).until(() -> servingCount(restarted.log, "host1") == 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(sourcePid).map(p -> !p.isAlive()).orElse(true));
      }
    }
  }

  // ---- helpers ----

  /** How often the agent's log (appended to by each run) says it started serving. */
  private static long servingCount(Path log, String host) throws IOException {
    return Files.readString(log).lines().filter(l -> l.contains("agent " + host + " serving")).count();
  }

  private static long digest(Path memoryFile) {
    try (var m = io.roam.agent.memory.GuestMemory.open(memoryFile)) {
      return m.digest();
    }
  }

  private static long heartbeat(Path memoryFile) throws IOException {
    try (var m = io.roam.agent.memory.GuestMemory.open(memoryFile)) {
      return m.header().heartbeat();
    }
  }

  private static CuratorFramework zk(LocalCluster c) throws InterruptedException {
    CuratorFramework zk = c.zkClient(60_000, 15_000, new RetryOneTime(200));
    zk.start();
    zk.blockUntilConnected(30, TimeUnit.SECONDS);
    return zk;
  }

  /** The owner record without the migration's tag, which only the migration's two ends can predict. */
  private static String hostAndEpoch(OwnerRecord o) {
    return o.host() + " " + o.epoch();
  }

  private static OwnerRecord owner(CuratorFramework zk, String vm) throws Exception {
    return Json.read(zk.getData().forPath(ZkPaths.vmOwner(vm)), OwnerRecord.class);
  }

  private static String endpoint(CuratorFramework zk, String vm) {
    try {
      return new String(zk.getData().forPath(ZkPaths.vmEndpoint(vm)), StandardCharsets.UTF_8);
    } catch (Exception e) {
      return null;
    }
  }

  private static JsonNode migrate(LocalCluster c, String vm, String to, String... options) throws IOException {
    List<String> args = new ArrayList<>(List.of("-o", "json", "vm", "migrate", vm, "--to", to, "--wait"));
    args.addAll(List.of(options));
    LocalCluster.Result r = c.ctl(args.toArray(String[]::new));
    assertThat(r.out()).as(r.err()).isNotBlank();
    return JSON.readTree(r.out());
  }

  private static JsonNode show(LocalCluster c, String id) throws IOException {
    return JSON.readTree(c.ctl("-o", "json", "migration", "show", id).out());
  }

  @org.junit.jupiter.api.AfterEach
  void resetOptions() {
    LocalCluster.masterOptions = java.util.List.of();
  }

  private static void ok(LocalCluster.Result r) {
    assertThat(r.exit()).as(r.err()).isZero();
  }

  private static void expectError(LocalCluster c, String message, String... args) {
    LocalCluster.Result r = c.ctl(args);
    assertThat(r.exit()).as("roamctl %s: %s", String.join(" ", args), r.err()).isEqualTo(1);
    assertThat(r.err()).contains(message);
    assertThat(r.err().strip().lines().count()).isEqualTo(1);
  }
}
