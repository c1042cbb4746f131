package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.roam.agent.vm.VmState;
import io.roam.common.kv.KvClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * FT between two agents' VM managers (real VM processes, real sockets): a kv VM without a
 * write-ahead log protected by a hot secondary fed a checkpoint every 20 ms, with output commit.
 * The test plays the leader where the leader acts: it moves the owner record to the secondary by
 * compare-and-set from the tagged record and asks the secondary's agent to promote it.
 */
class FaultToleranceTest extends TwoAgents {
  private static final Duration INTERVAL = Duration.ofMillis(20);

  /** Starts protecting {@code vm} (on src) with a secondary on dst; returns once it is protected. */
  private Migrator protect(String vm, List<CompletableFuture<Boolean>> running) {
    Migrator ft = new Migrator("ft-" + vm, vm, src.describe(vm).spec().memoryBytes(), "src", "127.0.0.1", "dst",
        MigrationParams.DEFAULTS, (spec, epoch) -> dstService.prepareSecondary(spec, epoch, "src")
            .get(60, TimeUnit.SECONDS), ownership, group, srcTls).protecting(INTERVAL, io.roam.agent.cluster.EventSink.NONE);
    running.add(src.migrateOut(vm, ft.id(), ft));
    await().atMost(Duration.ofSeconds(60)).until(() -> ft.checkpoints().checkpoints() >= 3
        && !ownership.records.get(vm).migration().isEmpty());
    return ft;
  }

  /**
   * The leader's failover, as HA does it: the owner record, still naming the primary with this
   * protection's tag (the dead primary could not take it off), moves to the secondary by
   * compare-and-set at the next epoch, and the secondary's agent is asked to promote it.
   */
  private void failOverToTheSecondary(String vm) throws Exception {
    Ownership.Owner o = ownership.records.get(vm);
    assertThat(o.host()).isEqualTo("src");
    assertThat(o.migration()).startsWith("ft:dst:");
    assertThat(ownership.compareAndSet(vm, o.version(), "dst", o.epoch() + 1, o.migration())).isTrue();
    dstService.promote(vm).get(60, TimeUnit.SECONDS);
  }

  /**
   * The protection ended with the VM kept by its primary: the owner record names src without the
   * FT tag (the secondary can no longer be promoted), and the secondary went.
   */
  private void assertUnprotectedOnSrcAndTheSecondaryGone() {
    Ownership.Owner o = ownership.records.get("kv");
    assertThat(o.host()).isEqualTo("src");
    assertThat(o.migration()).as("the FT tag came off: the secondary can no longer be promoted").isEmpty();
    await().atMost(Duration.ofSeconds(60)).until(() -> dst.list().isEmpty());
  }

  /** A client writing and incrementing all the time; what it was told, in order. */
  private static final class Writer implements AutoCloseable {
    final AtomicInteger ackedPuts = new AtomicInteger();
    final List<Long> increments = java.util.Collections.synchronizedList(new ArrayList<>());
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    Writer(KvClient c) {
      thread = new Thread(() -> {
        try {
          for (int i = 0; !stop.get(); i++) {
            c.put("k" + i, "v" + i);
            ackedPuts.set(i + 1);
            increments.add(c.increment("n"));
          }
        } catch (Throwable t) {
          failure.set(t);
        }
      }, "kv-writer");
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(60_000);
    }

    /**
     * After {@link #close}: the client saw no error, every write it was told was acknowledged is
     * there, and each increment was counted once (1, 2, 3, ... as it was told); returns how many.
     */
    int assertNothingLost(KvClient c) throws java.io.IOException {
      assertThat(failure.get()).as("the client saw an error").isNull();
      for (int i = 0; i < ackedPuts.get(); i++) {
        assertThat(c.get("k" + i)).as("acknowledged write k%d", i).contains("v" + i);
      }
      List<Long> seen = List.copyOf(increments);
      for (int i = 0; i < seen.size(); i++) {
        assertThat(seen.get(i)).as("increment %d: each counted once, none lost", i + 1).isEqualTo(i + 1L);
      }
      return seen.size();
    }
  }

  @Test
  void thePrimaryDiesAndTheSecondaryServesEveryAcknowledgedWriteWithEachIncrementCountedOnce() throws Exception {
    startVm("kv", "kv", 32 * MIB, Map.of()); // no disk: no write-ahead log, memory is all there is
    List<CompletableFuture<Boolean>> running = new ArrayList<>();
    Migrator ft = protect("kv", running);
    try (KvClient c = new KvClient(() -> endpoints.get("kv"), Duration.ofSeconds(60))) {
      Writer w = new Writer(c);
      try (w) {
        await().atMost(Duration.ofSeconds(60)).until(() -> w.ackedPuts.get() >= 100 || w.failure.get() != null);
        assertThat(ft.checkpoints().pauseMaxMicros()).isPositive();

        // The primary's host dies: its agent can no longer write to ZooKeeper, its VM is killed.
        ownership.unreachable.add("src");
        long primaryPid = src.describe("kv").pid();
        ProcessHandle.of(primaryPid).ifPresent(ProcessHandle::destroyForcibly);
        int ackedAtDeath = w.ackedPuts.get();
        failOverToTheSecondary("kv");
        assertThat(dst.describe("kv").state()).isEqualTo(VmState.RUNNING);

        await().atMost(Duration.ofSeconds(60)).until(() -> w.ackedPuts.get() >= ackedAtDeath + 50
            || w.failure.get() != null);
      }
      int increments = w.assertNothingLost(c);
      assertThat(endpoints.get("kv")).isEqualTo(dst.describe("kv").endpoint());
      assertThat(c.get("n")).contains(String.valueOf(increments));
    }
    // The dead primary's copy is never resumed: the record names dst, so the source copy goes.
    await().atMost(Duration.ofSeconds(60)).until(() -> running.get(0).isDone());
    assertThat(src.list()).isEmpty();
  }

  @Test
  void theHostDiesInTheMiddleOfACheckpointAndTheSecondaryResumesFromTheLastWholeOne() throws Exception {
    startVm("kv", "kv", 32 * MIB, Map.of());
    List<CompletableFuture<Boolean>> running = new ArrayList<>();
    Migrator ft = protect("kv", running);
    try (KvClient c = new KvClient(() -> endpoints.get("kv"), Duration.ofSeconds(60))) {
      for (int i = 0; i < 50; i++) {
        c.put("k" + i, "v" + i); // each acknowledged: in a checkpoint the secondary applied
      }
      // The host dies while a checkpoint is on the wire: its pages sent, its end never.
      ownership.unreachable.add("src");
      FaultPoints.arm(FaultPoints.SOURCE_TEAR_CHECKPOINT, "tear");
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        String state = dstService.secondaryState("kv");
        return state != null && state.startsWith("standby");
      });
      long acked = ft.checkpoints().checkpoints();
      assertThat(dstService.secondaryState("kv")).as("the torn checkpoint %d was not applied", acked + 1)
          .isEqualTo("standby at checkpoint " + acked);
      ProcessHandle.of(src.describe("kv").pid()).ifPresent(ProcessHandle::destroyForcibly);
      // The leader: the record still carries the protection's tag (the dead primary could not take
      // it off), so the secondary is promoted, and serves from its last whole checkpoint.
      failOverToTheSecondary("kv");
      for (int i = 0; i < 50; i++) {
        assertThat(c.get("k" + i)).as("acknowledged write k%d", i).contains("v" + i);
      }
      assertThat(c.increment("n")).isEqualTo(1);
      assertThat(dst.describe("kv").state()).isEqualTo(VmState.RUNNING);
    }
  }

  @Test
  void whenTheSecondaryIsLostThePrimaryTakesItsTagOffAndRunsOnAloneWithItsOutputReleased() throws Exception {
    startVm("kv", "kv", 32 * MIB, Map.of());
    List<CompletableFuture<Boolean>> running = new ArrayList<>();
    protect("kv", running);
    try (KvClient c = new KvClient(() -> endpoints.get("kv"), Duration.ofSeconds(30))) {
      c.put("a", "1");
      dstService.close(); // the secondary's host goes away
      // Protection ends; ownership never moves by the primary.
      assertThat(running.get(0).handle((moved, e) -> moved != null && moved).get(60, TimeUnit.SECONDS)).isFalse();
      Ownership.Owner o = ownership.records.get("kv");
      assertThat(o.host()).isEqualTo("src");
      assertThat(o.migration()).as("the FT tag came off before the output was released").isEmpty();
      assertThat(c.increment("n")).isEqualTo(1); // replies flow: nothing held any more
      assertThat(c.get("a")).contains("1");
      assertThat(src.describe("kv").state()).isEqualTo(VmState.RUNNING);
    }
  }

  @Test
  void aPrimaryVmThatCrashesOnALiveHostLeavesItsTagAndTheSecondaryTakesOverWithEveryAcknowledgedWrite()
      throws Exception {
    // The VM's process dies; its host and agent live on, and ZooKeeper answers them.
    failOverFromAPrimaryThat(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
  }

  @Test
  void aPrimaryVmThatHangsIsKilledLeavesItsTagAndTheSecondaryTakesOverWithEveryAcknowledgedWrite()
      throws Exception {
    // The VM's process stops answering (its pause at the next checkpoint times out) but lives.
    failOverFromAPrimaryThat(pid -> {
      try {
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
      } catch (java.io.IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /**
   * {@code fault} done to the protected primary's VM process (by pid) while a client writes: the
   * protection ends with the process gone and the tag left on the record; the leader's failover
   * (played here) promotes the secondary, which serves every acknowledged write; the dead copy is
   * swept away afterwards.
   */
  private void failOverFromAPrimaryThat(java.util.function.LongConsumer fault) throws Exception {
    startVm("kv", "kv", 32 * MIB, Map.of());
    List<CompletableFuture<Boolean>> running = new ArrayList<>();
    protect("kv", running);
    long pid = src.describe("kv").pid();
    try (KvClient c = new KvClient(() -> endpoints.get("kv"), Duration.ofSeconds(60))) {
      Writer w = new Writer(c);
      try (w) {
        await().atMost(Duration.ofSeconds(60)).until(() -> w.ackedPuts.get() >= 30 || w.failure.get() != null);
        fault.accept(pid);
        assertThat(running.get(0).handle((moved, e) -> moved != null && moved).get(60, TimeUnit.SECONDS)).isFalse();
        await().atMost(Duration.ofSeconds(30)).until(() -> src.describe("kv").state() == VmState.CRASHED);
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        Ownership.Owner o = ownership.records.get("kv");
        assertThat(o.migration()).as("the dead primary left its tag for the leader to fail over")
            .startsWith("ft:dst:");
        int ackedAtFault = w.ackedPuts.get();
        failOverToTheSecondary("kv"); // what the leader's HA does for a crashed VM with a live secondary
        await().atMost(Duration.ofSeconds(60)).until(() -> w.ackedPuts.get() >= ackedAtFault + 30
            || w.failure.get() != null);
      }
      w.assertNothingLost(c);
    }
    // The dead copy goes (the agent's periodic sweep), so that the VM may come back to this host.
    assertThat(src.list()).hasSize(1);
    src.destroyCrashedCopiesOwnedElsewhere();
    await().atMost(Duration.ofSeconds(30)).until(() -> src.list().isEmpty());
    assertThat(dst.describe("kv").state()).isEqualTo(VmState.RUNNING);
  }

  @Test
  void aBootOfTheCrashedPrimaryInPlaceTakesTheTagOffFirstSoTheStaleSecondaryGoes() throws Exception {
    startVm("kv", "kv", 32 * MIB, Map.of());
    List<CompletableFuture<Boolean>> running = new ArrayList<>();
    protect("kv", running);
    ProcessHandle.of(src.describe("kv").pid()).ifPresent(ProcessHandle::destroyForcibly);
    running.get(0).handle((moved, e) -> moved).get(60, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(30)).until(() -> src.describe("kv").state() == VmState.CRASHED);
    assertThat(ownership.records.get("kv").migration()).startsWith("ft:dst:");
    // Booted in place instead (the secondary's host was down for the leader, or an operator's
    // start): from nothing, so the secondary's older memory must never be promoted after this.
    assertThat(src.start("kv", 1).get(60, TimeUnit.SECONDS).state()).isEqualTo(VmState.RUNNING);
    assertUnprotectedOnSrcAndTheSecondaryGone(); // the tag came off before the boot
  }

  @Test
  void stoppingAProtectedVmEndsItsProtectionFirstInsteadOfWaitingBehindIt() throws Exception {
    startVm("kv", "kv", 32 * MIB, Map.of());
    List<CompletableFuture<Boolean>> running = new ArrayList<>();
    Migrator ft = protect("kv", running);
    try (KvClient c = new KvClient(() -> endpoints.get("kv"), Duration.ofSeconds(30))) {
      c.put("a", "1"); // acknowledged under protection
    }
    // The stop waits on the VM's queue behind the protection, which would run until turned off.
    assertThat(src.stop("kv").get(30, TimeUnit.SECONDS).state()).isEqualTo(VmState.STOPPED);
    assertThat(running.get(0).handle((moved, e) -> moved != null && moved).get(30, TimeUnit.SECONDS)).isFalse();
    assertThat(ft.checkpoints().checkpoints()).isGreaterThanOrEqualTo(3);
    assertUnprotectedOnSrcAndTheSecondaryGone();
  }

  @Test
  void protectionTurnedOffAndOnAgainStillHoldsEveryReplyForItsOwnCheckpoints() throws Exception {
    startVm("kv", "kv", 32 * MIB, Map.of());
    List<CompletableFuture<Boolean>> running = new ArrayList<>();
    Migrator first = protect("kv", running);
    try (KvClient c = new KvClient(() -> endpoints.get("kv"), Duration.ofSeconds(60))) {
      Writer w = new Writer(c);
      try (w) {
        await().atMost(Duration.ofSeconds(60)).until(() -> first.checkpoints().checkpoints() >= 200);
        first.cancel(); // FT off: the old secondary goes once the record lost its tag
        assertThat(running.get(0).handle((moved, e) -> moved != null && moved).get(60, TimeUnit.SECONDS)).isFalse();
        assertThat(ownership.records.get("kv").migration()).isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> dst.list().isEmpty());
        // On again: its checkpoints count from 1, and none of its replies may ride on the old count
        // (200 acknowledged): the host dies while the new protection is still far below it.
        // The header's words, read through a mapping of the VM's memory file as the VM reads them, all
        // the while the new protection starts: an acknowledged count above the checkpoints taken would
        // release replies no secondary holds (the window is the new protection's first checkpoint).
        java.util.concurrent.atomic.AtomicReference<String> violation = new java.util.concurrent.atomic.AtomicReference<>();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler;
        Migrator second;
        try (io.roam.agent.memory.GuestMemory mapped = io.roam.agent.memory.GuestMemory.open(
            dir.resolve("src/mem/kv.mem"))) {
          sampler = new Thread(() -> {
            while (sampling.get() && violation.get() == null) {
              // A consistent pair: the new protection writes its acked count, then its taken count,
              // while the VM is paused (the VM never sees one without the other; this thread can):
              // taken read before and after the acked count, and the pair used only if it did not move.
              long taken = mapped.header().ftTaken();
              long acked = mapped.header().ftAcked();
              if (mapped.header().ftTaken() == taken && acked > taken) {
                violation.set("acknowledged " + acked + " of " + taken + " checkpoints taken");
              }
              Thread.onSpinWait();
            }
          }, "header-sampler");
          sampler.start();
          second = protect("kv", running);
          sampling.set(false);
          sampler.join();
        }
        assertThat(violation.get()).isNull();
        int before = w.ackedPuts.get();
        await().atMost(Duration.ofSeconds(60)).until(() -> w.ackedPuts.get() >= before + 5 || w.failure.get() != null);
        assertThat(second.checkpoints().checkpoints()).isLessThan(150);
        ownership.unreachable.add("src");
        ProcessHandle.of(src.describe("kv").pid()).ifPresent(ProcessHandle::destroyForcibly);
        failOverToTheSecondary("kv");
        int atFailover = w.ackedPuts.get();
        await().atMost(Duration.ofSeconds(60)).until(() -> w.ackedPuts.get() >= atFailover + 20 || w.failure.get() != null);
      }
      w.assertNothingLost(c);
    }
  }
}
