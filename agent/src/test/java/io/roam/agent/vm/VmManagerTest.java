package io.roam.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.roam.agent.migration.InMemoryOwnership;
import io.roam.common.kv.KvClient;
import io.roam.common.model.VmSpec;
import java.nio.file.Path;
import io.roam.common.time.Monotonic;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** VMs as real child JVMs, driven through the agent's VmManager. */
class VmManagerTest {
  private static final long MIB = 1 << 20;
  @TempDir Path dir;
  private VmManager manager;
  private Map<String, String> published;
  private final InMemoryOwnership ownership = new InMemoryOwnership();

  /** The agent's lease; the agent renews to its last ZooKeeper contact plus this, here simply from now. */
  private static final long LEASE_MS = 1500;

  @BeforeEach
  void setUp() throws Exception {
    RecordingEndpoints publisher = new RecordingEndpoints();
    published = publisher.published;
    manager = new VmManager(new VmManager.Settings("test-host", dir.resolve("mem"), dir.resolve("run"), dir.resolve("logs"),
        256 * MIB, LEASE_MS), new VmLauncher(32 * MIB, "127.0.0.1"), publisher, ownership);
    for (String vm : new String[] {"kv1", "victim", "fenced", "broken"}) {
      ownership.put(vm, "test-host", 1);
    }
  }

  @AfterEach
  void tearDown() {
    renewers.forEach(java.util.concurrent.ScheduledExecutorService::shutdownNow);
    manager.close();
  }

  private final java.util.List<java.util.concurrent.ScheduledExecutorService> renewers = new java.util.ArrayList<>();

  /**
   * Renews the leases of these managers' VMs every 250 ms, as the agent's LeaseRenewer does, for
   * tests about something other than the lease: on a loaded machine a kv VM's boot alone can
   * outlast one 1.5 s lease, and the VM would start paused.
   */
  private void renewing(VmManager... managers) {
    var timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    timer.scheduleAtFixedRate(() -> {
      for (VmManager m : managers) {
        m.renewLeases(Monotonic.millis() + LEASE_MS);
      }
    }, 0, 250, java.util.concurrent.TimeUnit.MILLISECONDS);
    renewers.add(timer);
  }

  @Test
  void onlyTheOperatorsDeleteRemovesTheVmsDiskSoARecreatedVmStartsEmpty() throws Exception {
    Path datastore = dir.resolve("datastore");
    VmManager withDisk = new VmManager(new VmManager.Settings("disk-host", dir.resolve("mem2"), dir.resolve("run2"),
        dir.resolve("logs2"), 256 * MIB, 1500), new VmLauncher(32 * MIB, "127.0.0.1", datastore), new RecordingEndpoints(),
        ownership);
    renewing(withDisk);
    ownership.put("shop", "disk-host", 1);
    try {
      VmSpec spec = new VmSpec("shop", "kv", 16 * MIB, Map.of("disk", "on"), "");
      withDisk.create(spec, 1).join();
      withDisk.start("shop", 1).join();
      String endpoint = withDisk.describe("shop").endpoint();
      try (KvClient c = new KvClient(() -> endpoint, Duration.ofSeconds(5))) {
        c.put("a", "1");
      }
      Path disk = datastore.resolve("vms/shop");
      // A destroyed copy (a migration's source, a stale copy) leaves the disk to the running copy.
      withDisk.destroy("shop").join();
      assertThat(java.nio.file.Files.list(disk).count()).isGreaterThan(0);
      ownership.put("shop", "disk-host", 2);
      withDisk.create(spec, 2).join();
      withDisk.start("shop", 2).join();
      String again = withDisk.describe("shop").endpoint();
      try (KvClient c = new KvClient(() -> again, Duration.ofSeconds(5))) {
        assertThat(c.get("a")).contains("1");
      }
      // The operator deletes the VM: its disk goes with it, and a new VM of that name starts empty.
      withDisk.delete("shop").join();
      assertThat(disk).doesNotExist();
      ownership.put("shop", "disk-host", 1);
      withDisk.create(spec, 1).join();
      withDisk.start("shop", 1).join();
      String fresh = withDisk.describe("shop").endpoint();
      try (KvClient c = new KvClient(() -> fresh, Duration.ofSeconds(5))) {
        assertThat(c.get("a")).isEmpty();
      }
    } finally {
      withDisk.close();
    }
  }

  /**
   * The operator deletes a VM on a host that does not know it (its owner host is down, or the VM
   * migrated away while the delete waited): the disk on the shared datastore goes all the same, so
   * a new VM of that name neither refuses to boot (an old disk with a newer epoch) nor replays the
   * old VM's data.
   */
  @Test
  void theOperatorsDeleteRemovesTheDiskEvenOnAHostThatDoesNotKnowTheVm() throws Exception {
    Path datastore = dir.resolve("datastore");
    VmManager owner = new VmManager(new VmManager.Settings("owner-host", dir.resolve("mem2"), dir.resolve("run2"),
        dir.resolve("logs2"), 256 * MIB, 1500), new VmLauncher(32 * MIB, "127.0.0.1", datastore), new RecordingEndpoints(),
        ownership);
    VmManager other = new VmManager(new VmManager.Settings("other-host", dir.resolve("mem3"), dir.resolve("run3"),
        dir.resolve("logs3"), 256 * MIB, 1500), new VmLauncher(32 * MIB, "127.0.0.1", datastore), new RecordingEndpoints(),
        ownership);
    renewing(owner, other);
    Path disk = datastore.resolve("vms/shop");
    try {
      VmSpec spec = new VmSpec("shop", "kv", 16 * MIB, Map.of("disk", "on"), "");
      ownership.put("shop", "owner-host", 3);
      owner.create(spec, 3).join();
      owner.start("shop", 3).join();
      String endpoint = owner.describe("shop").endpoint();
      try (KvClient c = new KvClient(() -> endpoint, Duration.ofSeconds(5))) {
        c.put("a", "1");
      }
      owner.powerOff("shop").join(); // its host goes down: the disk stays on the datastore
      assertThat(java.nio.file.Files.list(disk).count()).isGreaterThan(0);

      // Another host, which never had the VM, carries out the operator's delete.
      assertThatThrownBy(() -> other.delete("shop").join()).hasCauseInstanceOf(VmOperationException.class)
          .hasMessageContaining("no VM named shop on host other-host");
      assertThat(disk).doesNotExist();

      // A new VM of that name boots (at a lower owner epoch than the old disk's) and starts empty.
      ownership.put("shop", "other-host", 1);
      other.create(spec, 1).join();
      other.start("shop", 1).join();
      String fresh = other.describe("shop").endpoint();
      try (KvClient c = new KvClient(() -> fresh, Duration.ofSeconds(5))) {
        assertThat(c.get("a")).isEmpty();
      }
    } finally {
      owner.close();
      other.close();
    }
  }

  @Test
  void aKvVmServesItsClientsAndStopsGracefully() throws Exception {
    renewing(manager);
    manager.create(new VmSpec("kv1", "kv", 16 * MIB, Map.of(), ""), 1).join();
    VmView v = manager.start("kv1", 1).join();
    assertThat(v.state()).isEqualTo(VmState.RUNNING);
    assertThat(v.endpoint()).startsWith("127.0.0.1:");
    assertThat(published).containsEntry("kv1", v.endpoint());

    try (KvClient c = new KvClient(() -> published.get("kv1"), Duration.ofSeconds(5))) {
      c.put("alpha", "one two");
      c.put("beta", "2");
      assertThat(c.get("alpha")).contains("one two");
      assertThat(c.delete("beta")).isTrue();
      assertThat(c.get("beta")).isEmpty();
    }
    manager.renewLeases(Monotonic.millis() + LEASE_MS);
    manager.pollStats();
    await().atMost(Duration.ofSeconds(5)).until(() -> manager.describe("kv1").steps() > 0);
    assertThat(manager.describe("kv1").heartbeat()).isGreaterThan(0);
    assertThat(manager.describe("kv1").cpuNanos()).isGreaterThan(0);

    VmView stopped = manager.stop("kv1").join();
    assertThat(stopped.state()).isEqualTo(VmState.STOPPED);
    assertThat(stopped.exitCode()).isZero();
    assertThat(published).doesNotContainKey("kv1");
  }

  @Test
  void aKilledVmProcessIsReportedCrashedWithItsExitCodeAndLog() throws Exception {
    manager.create(new VmSpec("victim", "idle", 16 * MIB, Map.of(), ""), 1).join();
    long pid = manager.start("victim", 1).join().pid();
    assertThat(pid).isPositive();
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    await().atMost(Duration.ofSeconds(10)).until(() -> manager.describe("victim").state() == VmState.CRASHED);
    VmView v = manager.describe("victim");
    assertThat(v.exitCode()).isEqualTo(137); // 128 + SIGKILL
    assertThat(v.logTail()).contains("VM process " + pid);

    // A crashed VM can be started again (a fresh boot, a new process). Its first lease is this
    // test's short one and nothing renews it here, so on a loaded machine the boot may outlast it
    // (the VM then pauses itself): renew, as the agent would, before asking for RUNNING.
    VmView again = manager.start("victim", 1).join();
    assertThat(again.pid()).isPositive().isNotEqualTo(pid);
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      manager.renewLeases(Monotonic.millis() + LEASE_MS);
      manager.pollStats();
      return manager.describe("victim").state() == VmState.RUNNING;
    });
  }

  @Test
  void aVmWhoseLeaseIsNotRenewedPausesItself() throws Exception {
    manager.create(new VmSpec("fenced", "cpu", 16 * MIB, Map.of("share", "20"), ""), 1).join();
    manager.start("fenced", 1).join();
    // Nobody calls renewLeases(): the 1.5 s lease granted at start runs out.
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
      manager.pollStats();
      return manager.describe("fenced").leaseExpired();
    });
    assertThat(manager.describe("fenced").state()).isEqualTo(VmState.PAUSED);
    long hb = manager.describe("fenced").heartbeat();
    Thread.sleep(200);
    assertThat(manager.describe("fenced").heartbeat()).as("no steps without a lease").isEqualTo(hb);

    manager.renewLeases(Monotonic.millis() + LEASE_MS);
    await().atMost(Duration.ofSeconds(5)).until(() -> manager.describe("fenced").heartbeat() > hb);
  }

  @Test
  void admissionAndValidationRefuseBadVmsAndChangeNothing() {
    assertThatThrownBy(() -> manager.create(new VmSpec("big", "idle", 512 * MIB, Map.of(), ""), 1).join())
        .isInstanceOf(CompletionException.class).hasMessageContaining("needs 512 MiB");
    assertThatThrownBy(() -> manager.create(new VmSpec("x", "nosuch", 16 * MIB, Map.of(), ""), 1).join())
        .hasMessageContaining("unknown program 'nosuch'");
    assertThatThrownBy(() -> manager.create(new VmSpec("x", "kv", 0, Map.of(), ""), 1).join())
        .hasMessageContaining("out of range");
    assertThatThrownBy(() -> manager.create(new VmSpec("bad name", "kv", 16 * MIB, Map.of(), ""), 1).join())
        .hasMessageContaining("invalid VM name");
    manager.create(new VmSpec("one", "idle", 200 * MIB, Map.of(), ""), 1).join();
    assertThatThrownBy(() -> manager.create(new VmSpec("one", "idle", 16 * MIB, Map.of(), ""), 1).join())
        .hasMessageContaining("already exists");
    assertThatThrownBy(() -> manager.create(new VmSpec("two", "idle", 64 * MIB, Map.of(), ""), 1).join())
        .hasMessageContaining("56 MiB of 256 MiB");
    assertThat(manager.list()).extracting(x -> x.spec().name()).containsExactly("one");
    assertThat(manager.memoryCommitted()).isEqualTo(200 * MIB);
  }

  @Test
  void aProgramThatFailsAtBootIsReportedWithItsLog() {
    manager.create(new VmSpec("broken", "memstress", 16 * MIB, Map.of("rate", "fast"), ""), 1).join();
    assertThatThrownBy(() -> manager.start("broken", 1).join()).hasMessageContaining("exited with code 1")
        .hasMessageContaining("rate=fast is not a number");
    assertThat(manager.describe("broken").state()).isEqualTo(VmState.CRASHED);
  }
}
