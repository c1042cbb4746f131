package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roam.common.ZkPaths;
import io.roam.common.kv.KvClient;
import io.roam.proto.AgentCreateVmRequest;
import io.roam.proto.AgentServiceGrpc;
import io.roam.proto.VmSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A master and two agents as separate JVMs with an embedded ZooKeeper, driven through roamctl. */
class ClusterLifecycleTest {
  /**
   * How long a step (a VM's JVM booting, a migration, a pass of the leader) may take on a slow,
   * loaded machine; a fast one takes a second or two. An upper bound only: nothing waits it out.
   */
  private static final Duration SLOW_MACHINE_BOUND = Duration.ofSeconds(60);
  @TempDir static Path dir;
  static LocalCluster cluster;
  static CuratorFramework zk;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void up() throws Exception {
    cluster = LocalCluster.start(dir, 2);
    zk = cluster.zkClient(60_000, 15_000, new RetryOneTime(200));
    zk.start();
    zk.blockUntilConnected(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void down() throws Exception {
    if (zk != null) {
      zk.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aKvVmIsCreatedServesKeysThroughItsPublishedEndpointStopsAndIsDestroyed() throws Exception {
    LocalCluster.Result created = cluster.ctl("vm", "create", "shop", "--program", "kv", "--memory", "32MiB",
        "--host", "host2", "--start");
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.out()).contains("State:          running");

    JsonNode vm = JSON.readTree(cluster.ctl("-o", "json", "vm", "show", "shop").out());
    assertThat(vm.path("state").asText()).isEqualTo("running");
    assertThat(vm.path("host").asText()).isEqualTo("host2");
    String endpoint = vm.path("endpoint").asText();
    assertThat(endpoint).matches("127\\.0\\.0\\.1:\\d+");
    long pid = vm.path("pid").asLong();
    // The VM is its own JVM, a child of the agent of host2.
    assertThat(ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
        .contains(cluster.agents.get("host2").process.pid());
    await().atMost(SLOW_MACHINE_BOUND).until(() -> zkString(ZkPaths.vmEndpoint("shop")).isPresent());
    assertThat(zkString(ZkPaths.vmEndpoint("shop"))).contains(endpoint);

    assertThat(cluster.ctl("kv", "shop", "put", "greeting", "hello", "world").out().trim()).isEqualTo("OK");
    assertThat(cluster.ctl("kv", "shop", "get", "greeting").out().trim()).isEqualTo("hello world");
    LocalCluster.Result missing = cluster.ctl("kv", "shop", "get", "nothing");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err().trim()).isEqualTo("roamctl: error: key nothing not found in VM shop");

    // A client that finds the VM through ZooKeeper, as the tests and benchmarks of later issues do.
    try (KvClient c = new KvClient(() -> zkString(ZkPaths.vmEndpoint("shop")).orElse(null), Duration.ofSeconds(5))) {
      for (int i = 0; i < 200; i++) {
        c.put("k" + i, "v" + i);
      }
      for (int i = 0; i < 200; i++) {
        assertThat(c.get("k" + i)).contains("v" + i);
      }
      assertThat(c.get("greeting")).contains("hello world");
    }

    LocalCluster.Result stopped = cluster.ctl("vm", "stop", "shop");
    assertThat(stopped.out()).contains("State:          stopped");
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isIn(Optional.empty(), Optional.of(false));
    await().atMost(SLOW_MACHINE_BOUND).until(() -> zkString(ZkPaths.vmEndpoint("shop")).isEmpty());

    assertThat(cluster.ctl("vm", "destroy", "shop").exit()).isZero();
    assertThat(cluster.ctl("vm", "ls").out()).doesNotContain("shop");
    // The event log tells the VM's story, in order.
    JsonNode events = JSON.readTree(cluster.ctl("-o", "json", "events", "--vm", "shop").out()).path("events");
    List<String> kinds = new java.util.ArrayList<>();
    events.forEach(e -> kinds.add(e.path("kind").asText()));
    assertThat(kinds).containsExactly("vm.created", "vm.running", "vm.stopped", "vm.destroyed");
    assertThat(events.get(0).path("host").asText()).isEqualTo("host2");
    assertThat(cluster.ctl("events", "--vm", "shop").out()).contains("vm.destroyed").contains("KIND");
    assertThat(zk.checkExists().forPath(ZkPaths.vm("shop"))).isNull();
    assertThat(cluster.memoryDir.resolve("host2").resolve("shop.mem")).doesNotExist();
  }

  @Test
  void badInputsGetOneClearLineAndChangeNothing() throws Exception {
    assertThat(cluster.ctl("vm", "create", "keeper", "--program", "idle", "--memory", "16MiB").exit()).isZero();
    List<String> vmsBefore = zk.getChildren().forPath(ZkPaths.VMS);
    String lsBefore = cluster.ctl("vm", "ls").out();

    expectError(1, "unknown program 'nosuch'", "vm", "create", "a1", "--program", "nosuch", "--memory", "16MiB");
    expectError(1, "out of range", "vm", "create", "a2", "--program", "kv", "--memory", "0");
    expectError(1, "out of range", "vm", "create", "a3", "--program", "kv", "--memory", "2TiB");
    expectError(1, "cannot place VM a4: no connected host has", "vm", "create", "a4", "--program", "kv", "--memory", "2GiB");
    expectError(1, "needs 2 GiB", "vm", "create", "a5", "--program", "kv", "--memory", "2GiB", "--host", "host1");
    expectError(1, "a VM named keeper already exists", "vm", "create", "keeper", "--program", "kv", "--memory", "16MiB");
    expectError(1, "unknown host 'nohost'", "vm", "create", "a6", "--program", "kv", "--memory", "16MiB", "--host", "nohost");
    expectError(1, "invalid VM name", "vm", "create", "bad/name", "--program", "kv", "--memory", "16MiB");
    expectError(1, "no VM named ghost", "vm", "start", "ghost");
    expectError(2, "'lots' is not a size", "vm", "create", "a7", "--program", "kv", "--memory", "lots");
    expectError(2, "Missing required option: '--program=PROGRAM'", "vm", "create", "a8", "--memory", "16MiB");
    expectError(2, "Unmatched argument", "vm", "frobnicate");
    expectError(2, "unknown kv operation 'push'", "kv", "keeper", "push", "k", "v");

    assertThat(zk.getChildren().forPath(ZkPaths.VMS)).containsExactlyInAnyOrderElementsOf(vmsBefore);
    assertThat(cluster.ctl("vm", "ls").out()).isEqualTo(lsBefore);
    assertThat(cluster.ctl("vm", "destroy", "keeper").exit()).isZero();
  }

  @Test
  void anAgentRefusesCommandsFromAStaleMasterEpoch() throws Exception {
    assertThat(cluster.ctl("vm", "create", "epoch-probe", "--program", "idle", "--memory", "16MiB", "--host", "host1").exit())
        .isZero();
    LocalCluster.Node agent = cluster.agents.get("host1");
    // A master's certificate: the agent takes commands from masters only, and then checks the epoch.
    ManagedChannel ch = LocalCluster.channel(agent.address(),
        cluster.pki.peer(io.roam.common.security.Role.MASTER, "stale-master", java.util.List.of()));
    try {
      var stub = AgentServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
      StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
          () -> stub.createVm(AgentCreateVmRequest.newBuilder().setMasterEpoch(0)
              .setSpec(VmSpec.newBuilder().setName("stale").setProgram("idle").setMemoryBytes(16 << 20)).build()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(e.getStatus().getDescription()).contains("command from master epoch 0 refused");
      assertThat(stub.listVms(io.roam.proto.AgentListVmsRequest.getDefaultInstance()).getVmsList())
          .extracting(v -> v.getSpec().getName()).doesNotContain("stale");
    } finally {
      ch.shutdownNow();
    }
    assertThat(cluster.ctl("vm", "destroy", "epoch-probe").exit()).isZero();
  }

  @Test
  void aVmWhoseProcessIsKilledIsReportedAndRestartedInPlace() throws Exception {
    assertThat(cluster.ctl("vm", "create", "doomed", "--program", "cpu", "--arg", "share=10", "--memory", "16MiB",
        "--host", "host1", "--start").exit()).isZero();
    long pid = JSON.readTree(cluster.ctl("-o", "json", "vm", "show", "doomed").out()).path("pid").asLong();
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    // VM monitoring: the crash is an event, and the VM runs again on its host in a new process.
    await().atMost(SLOW_MACHINE_BOUND).until(() -> cluster.ctl("events", "--vm", "doomed").out().contains("vm.restarted"));
    String events = cluster.ctl("events", "--vm", "doomed").out();
    assertThat(events).contains("vm.crashed").contains("the VM process exited with code 137");
    await().atMost(SLOW_MACHINE_BOUND).until(() -> {
      JsonNode vm = JSON.readTree(cluster.ctl("-o", "json", "vm", "show", "doomed").out());
      return vm.path("state").asText().equals("running") && vm.path("pid").asLong() != pid
          && vm.path("host").asText().equals("host1");
    });
    assertThat(cluster.ctl("vm", "destroy", "doomed").exit()).isZero();
  }

  @Test
  void aUsersProgramFromAJarRunsAsAVm() throws Exception {
    Path jar = UserProgramJar.build(cluster.programsDir());
    // The same jar from a directory the agents' agent.jar-dirs does not list is refused (issue 10).
    Path elsewhere = java.nio.file.Files.createDirectories(dir.resolve("elsewhere")).resolve("counter.jar");
    java.nio.file.Files.copy(jar, elsewhere);
    expectError(1, "is not in a directory host", "vm", "create", "stray", "--program", UserProgramJar.CLASS_NAME,
        "--jar", elsewhere.toString(), "--memory", "16MiB", "--host", "host1");
    assertThat(cluster.ctl("vm", "show", "stray").exit()).isNotZero();
    LocalCluster.Result r = cluster.ctl("vm", "create", "custom", "--program", UserProgramJar.CLASS_NAME, "--jar",
        jar.toString(), "--memory", "16MiB", "--start");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("State:          running");
    // The user's program counts its steps at guest address 0; the agent's heartbeat shows it runs.
    await().atMost(SLOW_MACHINE_BOUND).until(() ->
        JSON.readTree(cluster.ctl("-o", "json", "vm", "show", "custom").out()).path("heartbeat").asLong() > 10);
    assertThat(cluster.ctl("vm", "destroy", "custom").exit()).isZero();
  }

  @Test
  void aVmsLogIsReadFromItsHostFollowedAcrossAMigrationAndOnlyByAnOperator() throws Exception {
    LocalCluster.ok(cluster.ctl("vm", "create", "talker", "--program", "cpu", "--arg", "share=5", "--memory", "16MiB",
        "--host", "host1", "--start"));
    long pid = JSON.readTree(cluster.ctl("-o", "json", "vm", "show", "talker").out()).path("pid").asLong();
    // The VM process's first line names its pid and program (GuestMain), read from host1's file.
    LocalCluster.Result logs = cluster.ctl("vm", "logs", "talker");
    assertThat(logs.exit()).as(logs.err()).isZero();
    assertThat(logs.out()).contains("VM process " + pid + ": program cpu");

    // A viewer may list the VM but not read its output.
    io.roam.common.security.TlsFiles viewer = cluster.user(io.roam.common.security.Role.VIEWER, "vera");
    LocalCluster.Result refused = cluster.ctlAs(viewer, cluster.masterAddresses(), "vm", "logs", "talker");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("needs role operator").doesNotContain("\tat ");

    // -f follows the log to host2 across a live migration: the destination process's first line
    // arrives, after a line on stderr saying where the VM now runs.
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    io.roam.common.security.TlsFiles admin = cluster.admin();
    Thread follower = new Thread(() -> io.roam.master.cli.Roamctl.run(new String[] {"--master",
        cluster.masterAddresses(), "--tls-ca", admin.ca().toString(), "--tls-cert", admin.cert().toString(), "--tls-key",
        admin.key().toString(), "vm", "logs", "talker", "-f"}, new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
        new java.io.PrintStream(err, true, StandardCharsets.UTF_8), java.util.Map.of()), "vm-logs-f");
    follower.start();
    try {
      await().atMost(SLOW_MACHINE_BOUND).until(() -> out.toString(StandardCharsets.UTF_8).contains("VM process " + pid));
      LocalCluster.ok(cluster.ctl("vm", "migrate", "talker", "--to", "host2", "--wait"));
      long newPid = JSON.readTree(cluster.ctl("-o", "json", "vm", "show", "talker").out()).path("pid").asLong();
      await().atMost(SLOW_MACHINE_BOUND).until(() ->
          out.toString(StandardCharsets.UTF_8).contains("VM process " + newPid + ": program cpu"));
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("talker now runs on host2");
      assertThat(follower.isAlive()).as("-f keeps following").isTrue();
    } finally {
      follower.interrupt();
      follower.join(10_000);
    }
    LocalCluster.ok(cluster.ctl("vm", "destroy", "talker"));
  }

  private static void expectError(int code, String message, String... args) {
    LocalCluster.Result r = cluster.ctl(args);
    assertThat(r.exit()).as("exit code of roamctl %s (stderr: %s)", String.join(" ", args), r.err()).isEqualTo(code);
    assertThat(r.err()).contains(message);
    assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
    if (code == 1) {
      assertThat(r.err().strip().lines().count()).as("one line: %s", r.err()).isEqualTo(1);
    }
  }

  private static Optional<String> zkString(String path) {
    try {
      return Optional.of(new String(zk.getData().forPath(path), StandardCharsets.UTF_8));
    } catch (Exception e) {
      return Optional.empty();
    }
  }
}
