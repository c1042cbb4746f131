package io.roam.agent.fencing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.roam.agent.migration.InMemoryOwnership;
import io.roam.agent.vm.RecordingEndpoints;
import io.roam.agent.vm.VmLauncher;
import io.roam.agent.vm.VmManager;
import io.roam.agent.vm.VmState;
import io.roam.common.model.VmSpec;
import io.roam.common.time.Monotonic;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lease is anchored at the agent's last ZooKeeper contact, not at the renewal: a renewal that
 * runs long after the last contact (the agent frozen between checking its session and writing the
 * deadline) cannot carry a VM past contact + lease, the instant the lease rule counts from.
 */
class LeaseRenewerTest {
  private static final long MIB = 1 << 20;
  private static final long LEASE_MS = 1_500;
  @TempDir Path dir;

  @Test
  void theDeadlineIsTheLastContactPlusTheLeaseHoweverLateTheRenewalRuns() {
    long contact = 10_000_000_000L; // nanoTime of the last contact's send
    assertThat(LeaseDeadline.anchoredAt(contact, LEASE_MS * 1_000_000)).isEqualTo(11_500);
    assertThat(LeaseDeadline.anchoredAt(contact + 999_999, LEASE_MS * 1_000_000)).as("rounded down").isEqualTo(11_500);
  }

  @Test
  void renewalsAnchoredAtAnOldContactLeaveTheVmPausedAndAFreshContactResumesIt() throws Exception {
    InMemoryOwnership ownership = new InMemoryOwnership();
    ownership.put("vm1", "test-host", 1);
    VmManager vms = new VmManager(new VmManager.Settings("test-host", dir.resolve("mem"), dir.resolve("run"),
        dir.resolve("logs"), 64 * MIB, LEASE_MS), new VmLauncher(32 * MIB, "127.0.0.1"), new RecordingEndpoints(),
        ownership);
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    // The agent's last contact was two leases ago: the renewer keeps running, but every deadline it
    // could write is already past, so it writes none and the VM pauses when its start lease ends.
    AtomicLong deadline = new AtomicLong(Monotonic.millis() - LEASE_MS); // that contact + the lease
    try (LeaseRenewer renewer = new LeaseRenewer(vms, deadline::get, LEASE_MS, scheduler)) {
      vms.create(new VmSpec("vm1", "cpu", 16 * MIB, Map.of("share", "20"), ""), 1).join();
      vms.start("vm1", 1).join();
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
        vms.pollStats();
        return vms.describe("vm1").leaseExpired();
      });
      assertThat(vms.describe("vm1").state()).isEqualTo(VmState.PAUSED);
      long hb = vms.describe("vm1").heartbeat();
      Thread.sleep(LEASE_MS);
      assertThat(vms.describe("vm1").heartbeat()).as("no steps past contact + lease").isEqualTo(hb);

      deadline.set(Monotonic.millis() + LEASE_MS); // a fresh contact
      await().atMost(Duration.ofSeconds(10)).until(() -> vms.describe("vm1").heartbeat() > hb);
    } finally {
      scheduler.shutdownNow();
      vms.close();
    }
  }
}
