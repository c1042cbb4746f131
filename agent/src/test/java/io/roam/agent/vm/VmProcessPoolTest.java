package io.roam.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.roam.agent.migration.InMemoryOwnership;
import io.roam.common.kv.KvClient;
import io.roam.common.model.VmSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * VM JVMs started ahead of need (issue 12, agent.vm-pool-size), on real processes: a VM started
 * from the pool is the VM a launch would have started (it serves, its pid, log and memory files are
 * its own), ownership refuses a start from the pool as it refuses a launch, a pooled process that
 * dies while waiting is replaced and never becomes a VM, and no pooled process outlives the pool
 * or the agent that started it.
 */
class VmProcessPoolTest {
  private static final long MIB = 1 << 20;
  private static final Duration WAIT = Duration.ofSeconds(60);
  @TempDir Path dir;
  private final InMemoryOwnership ownership = new InMemoryOwnership();
  private final RecordingEndpoints endpoints = new RecordingEndpoints();
  private VmLauncher launcher;
  private VmProcessPool pool;
  private VmManager manager;

  @BeforeEach
  void setUp() throws Exception {
    launcher = new VmLauncher(32 * MIB, "127.0.0.1", dir.resolve("datastore"));
    pool = new VmProcessPool(launcher, dir.resolve("run/vm-pool"), dir.resolve("logs/vm-pool/pool.log"), 1, Duration.ZERO);
    launcher.usePool(pool);
    manager = new VmManager(new VmManager.Settings("here", dir.resolve("mem"), dir.resolve("run"), dir.resolve("logs"),
        256 * MIB, 3000), launcher, endpoints, ownership);
  }

  @AfterEach
  void tearDown() {
    manager.close();
    pool.close();
  }

  @Test
  void aVmStartedFromThePoolServesWithItsOwnPidLogAndMemoryFiles() throws Exception {
    long pooled = awaitOneReady();
    ownership.put("shop", "here", 1);
    manager.create(new VmSpec("shop", "kv", 16 * MIB, Map.of("disk", "on"), ""), 1).join();

    VmView v = manager.start("shop", 1).join();

    assertThat(v.state()).isEqualTo(VmState.RUNNING);
    assertThat(v.pid()).as("the waiting process became the VM").isEqualTo(pooled);
    try (KvClient c = new KvClient(() -> endpoints.published.get("shop"), Duration.ofSeconds(5))) {
      c.put("k", "v");
      assertThat(c.get("k")).contains("v");
    }
    assertThat(Files.readString(dir.resolve("run/shop.pid"))).isEqualTo(Long.toString(pooled));
    String log = Files.readString(dir.resolve("logs/shop.log"));
    assertThat(log).contains("VM process " + pooled + ": program kv").contains("kv: disk recovered");
    assertThat(log).as("what it wrote while waiting went to the pool's log").doesNotContain("waiting on");
    assertThat(Files.readString(dir.resolve("logs/vm-pool/pool.log"))).contains("pooled VM process " + pooled);
    assertThat(mode(dir.resolve("mem/shop.mem"))).isEqualTo("rw-------");
    // How the chaos harness tells which VM a pooled process became (its command line does not say).
    assertThat(mappedFiles(pooled)).anyMatch(f -> f.endsWith("/shop.mem"));
    assertThat(mode(dir.resolve("mem"))).isEqualTo("rwx------");
    assertThat(mode(dir.resolve("run"))).isEqualTo("rwx------");
    assertThat(mode(dir.resolve("run/vm-pool"))).isEqualTo("rwx------");
    assertThat(Files.exists(dir.resolve("run/shop.sock"))).as("its control socket is the VM's").isTrue();
    assertThat(manager.list()).extracting(x -> x.spec().name()).containsExactly("shop");

    // Its pooled process is replaced, and the VM stops and crashes like any other.
    await().atMost(WAIT).until(() -> !pool.readyPids().isEmpty() && !pool.readyPids().contains(pooled));
    assertThat(manager.list()).as("a waiting process is not a VM").hasSize(1);
    ProcessHandle.of(pooled).orElseThrow().destroyForcibly();
    await().atMost(WAIT).until(() -> manager.describe("shop").state() == VmState.CRASHED);
    assertThat(manager.describe("shop").exitCode()).isEqualTo(137);
  }

  @Test
  void aStartFromThePoolIsRefusedExactlyAsALaunchIsAndTheWaitingProcessRunsNothing() throws Exception {
    long pooled = awaitOneReady();
    manager.create(new VmSpec("moved", "kv", 16 * MIB, Map.of("disk", "on"), ""), 1).join();
    ownership.put("moved", "elsewhere", 2);

    assertThatThrownBy(() -> manager.start("moved", 1).join()).cause()
        .isInstanceOfSatisfying(VmOperationException.class, e -> {
          assertThat(e.kind()).isEqualTo(VmOperationException.Kind.NOT_OWNER);
          assertThat(e.getMessage()).isEqualTo(
              "host here will not start VM moved at owner epoch 1: its owner record names host elsewhere at epoch 2");
        });

    assertThat(manager.describe("moved").state()).isEqualTo(VmState.CREATED);
    assertThat(manager.describe("moved").pid()).isZero();
    assertThat(Files.exists(dir.resolve("run/moved.pid"))).isFalse();
    assertThat(Files.exists(dir.resolve("logs/moved.log"))).as("no program wrote a line").isFalse();
    assertThat(Files.exists(dir.resolve("datastore/vms/moved"))).as("no program touched the disk").isFalse();
    assertThat(pool.readyPids()).as("the pooled process still waits, unassigned").containsExactly(pooled);
    assertThat(mappedFiles(pooled)).as("it maps no guest memory").noneMatch(f -> f.endsWith(".mem"));

    // With the record naming this host, the same waiting process becomes the VM.
    ownership.put("moved", "here", 3);
    assertThat(manager.start("moved", 3).join().pid()).isEqualTo(pooled);
  }

  @Test
  void aPooledProcessKilledWhileWaitingIsReplacedAndNeverBecomesAVm() throws Exception {
    long first = awaitOneReady();
    ProcessHandle.of(first).orElseThrow().destroyForcibly();
    await().atMost(WAIT).until(() -> !pool.readyPids().isEmpty() && !pool.readyPids().contains(first));
    long second = pool.readyPids().get(0);
    assertThat(manager.list()).isEmpty();
    assertThat(Files.exists(dir.resolve("run/vm-pool/0.pid"))).as("the dead one's pid file is gone").isFalse();

    ownership.put("later", "here", 1);
    manager.create(new VmSpec("later", "idle", 16 * MIB, Map.of(), ""), 1).join();
    assertThat(manager.start("later", 1).join().pid()).isEqualTo(second).isNotEqualTo(first);
  }

  /**
   * A pooled process that does not answer its assignment (frozen here) may or may not have taken
   * it: it is killed, and gone, before the VM gets a JVM of its own, so that never two run.
   */
  @Test
  void aPooledProcessThatDoesNotAnswerItsAssignmentIsKilledBeforeTheVmIsLaunched() throws Exception {
    long frozen = awaitOneReady();
    ProcessHandle handle = ProcessHandle.of(frozen).orElseThrow();
    new ProcessBuilder("kill", "-STOP", Long.toString(frozen)).start().waitFor();
    ownership.put("shop", "here", 1);
    manager.create(new VmSpec("shop", "idle", 16 * MIB, Map.of(), ""), 1).join();

    VmView v;
    try {
      v = manager.start("shop", 1).join();
      assertThat(handle.isAlive()).as("the frozen process was killed first").isFalse();
    } finally {
      handle.destroyForcibly(); // a failed run leaves no stopped process behind
    }
    assertThat(v.pid()).isNotEqualTo(frozen);
    assertThat(Files.readString(dir.resolve("run/shop.pid"))).isEqualTo(Long.toString(v.pid()));
    // The lease granted before the hand-over may have run out while it waited: the agent's renewal runs the VM.
    await().atMost(WAIT).until(() -> {
      manager.renewLeases(io.roam.common.time.Monotonic.millis() + 3000);
      manager.pollStats();
      return manager.describe("shop").state() == VmState.RUNNING;
    });
  }

  @Test
  void closingThePoolLeavesNoPooledProcessBehind() throws Exception {
    long pooled = awaitOneReady();
    ProcessHandle handle = ProcessHandle.of(pooled).orElseThrow();

    pool.close();

    assertThat(handle.isAlive()).isFalse();
    assertThat(pool.waitingPids()).isEmpty();
    try (var files = Files.list(dir.resolve("run/vm-pool"))) {
      assertThat(files.toList()).as("no pid file or socket left").isEmpty();
    }
    // A start after close launches its own JVM.
    ownership.put("fresh", "here", 1);
    manager.create(new VmSpec("fresh", "idle", 16 * MIB, Map.of(), ""), 1).join();
    assertThat(manager.start("fresh", 1).join().pid()).isNotEqualTo(pooled);
  }

  /**
   * The agent killed with -9 runs no close(): its waiting processes see it gone and exit by
   * themselves. Here a shell stands in for the agent: it starts a pooled process and exits.
   */
  @Test
  void aPooledProcessWhoseAgentDiedExitsByItself() throws Exception {
    pool.close(); // this test's own process plays the pooled one
    Path socket = dir.resolve("orphan.sock");
    List<String> java = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx32m", "-cp", VmLauncher.vmClassPath(), "io.roam.agent.guest.GuestMain", "--pool", "--control",
        socket.toString()));
    String script = "\"$@\" > /dev/null 2>&1 & echo $!; while [ ! -S " + socket + " ]; do sleep 0.05; done";
    List<String> cmd = new java.util.ArrayList<>(List.of("bash", "-c", script, "agent"));
    cmd.addAll(java);
    Process agent = new ProcessBuilder(cmd).start();
    long pooled = Long.parseLong(new String(agent.getInputStream().readAllBytes()).trim());
    assertThat(agent.waitFor(60, TimeUnit.SECONDS)).isTrue();
    ProcessHandle handle = ProcessHandle.of(pooled).orElse(null);
    try {
      await().atMost(WAIT).until(() -> handle == null || !handle.isAlive());
    } finally {
      if (handle != null) {
        handle.destroyForcibly();
      }
    }
  }

  @Test
  void theLeadersAdviceGrowsThePoolUpToItsMaximumAndShrinksItBackToItsSize() throws Exception {
    pool.close();
    pool = new VmProcessPool(launcher, dir.resolve("run/vm-pool2"), dir.resolve("logs/vm-pool/pool2.log"), 1, 3,
        Duration.ZERO);
    launcher.usePool(pool);
    awaitOneReady();
    List<Long> first = pool.waitingPids();

    pool.advise(5); // HA would restart five here: the pool grows to its maximum of three
    assertThat(pool.target()).isEqualTo(3);
    await().atMost(WAIT).until(() -> pool.readyPids().size() == 3);
    List<Long> grown = pool.waitingPids();
    Thread.sleep(1_000); // and no further
    assertThat(pool.waitingPids()).hasSize(3);

    pool.advise(0); // the advice fell: back to the configured size, the extra processes gone
    assertThat(pool.target()).isEqualTo(1);
    await().atMost(WAIT).until(() -> pool.waitingPids().size() == 1);
    assertThat(pool.waitingPids()).as("the oldest stays").isEqualTo(first);
    for (long pid : grown) {
      if (!first.contains(pid)) {
        await().atMost(WAIT).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
      }
    }
    try (var files = Files.list(dir.resolve("run/vm-pool2"))) {
      assertThat(files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".pid")).toList())
          .as("only the remaining process's pid file").hasSize(1);
    }
  }

  @Test
  void aPoolWhoseSizeExceedsItsMaximumIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new VmProcessPool(launcher, dir.resolve("run/x"),
        dir.resolve("logs/x.log"), 4, 2, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4 of 2");
  }

  /** Waits for the pool's one process to listen, and returns its pid. */
  private long awaitOneReady() {
    await().atMost(WAIT).until(() -> pool.readyPids().size() == 1);
    return pool.readyPids().get(0);
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  private static List<String> mappedFiles(long pid) throws Exception {
    return Files.readAllLines(Path.of("/proc", Long.toString(pid), "maps")).stream()
        .map(l -> l.replaceFirst("^(\\S+\\s+){5}", "").trim()).filter(s -> !s.isEmpty()).toList();
  }
}
