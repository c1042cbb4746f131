package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.roam.agent.memory.GuestMemory;
import io.roam.agent.vm.RecordingEndpoints;
import io.roam.agent.vm.VmLauncher;
import io.roam.agent.vm.VmManager;
import io.roam.agent.vm.VmState;
import io.roam.common.model.VmSpec;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, windows 2, 3 and 10: migrations that meet an unclear compare-and-set, a source that
 * aborts or falls silent after verification, and fencing in the middle of a copy. Two agents' VM
 * managers in this JVM, real VM processes, real sockets; ownership in memory. Every test checks
 * the outcome from evidence: the owner record, which VM processes are alive, the agents' views.
 */
class MigrationFaultTest {
  private static final long MIB = 1 << 20;
  /**
   * Short, so that a silent peer is noticed in seconds; the rule is the same at 10 s. Not shorter:
   * at 1 s a source that the machine's load stalled for a second was once taken for a silent one.
   */
  private static final Liveness FAST = new Liveness(Duration.ofMillis(200), Duration.ofSeconds(3), Duration.ofSeconds(4));
  private static final MigrationParams VERIFY = new MigrationParams(300, 0, true, 120_000, true);

  @TempDir Path dir;
  private final InMemoryOwnership ownership = new InMemoryOwnership();
  private VmManager src;
  private VmManager dst;
  private MigrationService dstService;
  private final io.netty.channel.EventLoopGroup group = Transports.group(1);

  private TestPki pki;
  private DataPlaneSecurity srcTls;
  private DataPlaneSecurity dstTls;

  @BeforeEach
  void setUp() throws Exception {
    pki = new TestPki(dir.resolve("pki"));
    srcTls = pki.agent("src");
    dstTls = pki.agent("dst");
    src = manager("src");
    dst = manager("dst");
    dstService = new MigrationService(dst, ownership, "dst", "127.0.0.1", 0, io.roam.agent.cluster.EventSink.NONE, dstTls, FAST);
  }

  private VmManager manager(String host) throws Exception {
    return new VmManager(new VmManager.Settings(host, dir.resolve(host + "/mem"), dir.resolve(host + "/run"),
        dir.resolve(host + "/logs"), 512 * MIB, 60_000), new VmLauncher(32 * MIB, "127.0.0.1"), new RecordingEndpoints(),
        ownership);
  }

  @AfterEach
  void tearDown() {
    dstService.close();
    src.close();
    dst.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private long startVm(String name, long memory) {
    ownership.records.put(name, new Ownership.Owner("src", 1, 0));
    src.create(new VmSpec(name, "idle", memory, Map.of(), ""), 1).join();
    return src.start(name, 1).join().pid();
  }

  private Migrator migrator(String vm, MigrationParams params, Ownership casOwnership) {
    return new Migrator("m-" + vm, vm, src.describe(vm).spec().memoryBytes(), "src", "127.0.0.1", "dst", params,
        (spec, epoch) -> dstService.prepare(spec, epoch, "src").get(60, TimeUnit.SECONDS), casOwnership, group, srcTls);
  }

  /**
   * Ownership whose compare-and-set writes and then, once, hides that it did: it throws
   * ConnectionLoss (the reply lost in a ZooKeeper leader change) or answers false (Curator's retry
   * then met the version its own write had moved on).
   */
  private static Ownership writesThenHidesIt(Ownership real, boolean throwConnectionLoss) {
    AtomicBoolean once = new AtomicBoolean(true);
    return new Ownership() {
      @Override
      public Optional<Owner> read(String vm) throws Exception {
        return real.read(vm);
      }

      @Override
      public boolean compareAndSet(String vm, int expectedVersion, String host, long epoch, String migration)
          throws Exception {
        boolean applied = real.compareAndSet(vm, expectedVersion, host, epoch, migration);
        if (applied && once.getAndSet(false)) {
          if (throwConnectionLoss) {
            throw new KeeperException.ConnectionLossException();
          }
          return false;
        }
        return applied;
      }
    };
  }

  // ---- window 2: an ambiguous compare-and-set ----

  @Test
  void aCompareAndSetThatAppliedButLostItsReplyMovesTheVmAndDestroysTheSourceCopy() {
    assertAnAppliedButHiddenCompareAndSetMovesTheVm("lost", true);
  }

  @Test
  void aCompareAndSetThatAppliedButAnsweredFalseMovesTheVmAndDestroysTheSourceCopy() {
    assertAnAppliedButHiddenCompareAndSetMovesTheVm("refused", false);
  }

  private void assertAnAppliedButHiddenCompareAndSetMovesTheVm(String vm, boolean throwConnectionLoss) {
    long srcPid = startVm(vm, 32 * MIB);
    Migrator m = migrator(vm, VERIFY, writesThenHidesIt(ownership, throwConnectionLoss));
    boolean moved = src.migrateOut(vm, m.id(), m).join();

    assertThat(moved).as("the source reads the record back and sees the move").isTrue();
    assertThat(hostEpochVersion(vm)).isEqualTo("dst 2 1");
    assertThat(ownership.records.get(vm).migration()).as("written by the migration").isNotEmpty();
    await().atMost(Duration.ofSeconds(15)).until(() -> dst.list().stream()
        .anyMatch(v -> v.spec().name().equals(vm) && v.state() == VmState.RUNNING));
    assertThat(src.list()).as("the source copy is destroyed, never resumed").isEmpty();
    assertThat(alive(srcPid)).isFalse();
    long hb = dst.describe(vm).heartbeat();
    await().atMost(Duration.ofSeconds(5)).until(() -> dst.describe(vm).heartbeat() > hb);
  }

  @Test
  void anAbortAfterVerificationIsSettledByTheOwnerRecordNotByTheMessage() throws Exception {
    // A source that verified, whose compare-and-set applied, and which then aborted anyway
    // (the window before the fix): the destination must run the VM, because the record says so.
    try (RawSource source = RawSource.verified(this, "aborted")) {
      ownership.compareAndSet("aborted", 0, "dst", 2, source.tag);
      source.send(Frames.ABORT, "the compare-and-set looked refused".getBytes(StandardCharsets.UTF_8));
      await().atMost(Duration.ofSeconds(15)).until(() -> dst.describe("aborted").state() == VmState.RUNNING);
    }
    assertThat(hostEpochVersion("aborted")).isEqualTo("dst 2 1");
  }

  @Test
  void aRecordNamingTheDestinationThatThisMigrationDidNotWriteDoesNotResumeItsOlderCopy() throws Exception {
    // The source never switched (its link was cut after verification), resumed, served, and died;
    // HA then failed the VM over to this very host at the same epoch. The destination's memory is
    // the source's memory at the pause, older than what the source acknowledged since: it must be
    // discarded, not resumed, and HA's start must not launch a second process next to it.
    try (RawSource source = RawSource.verified(this, "collided")) {
      ownership.compareAndSet("collided", 0, "dst", 2); // HA's failover: same host, same epoch, no tag
      assertThatThrownBy(() -> dst.start("collided", 2).join()).as("no second process beside the waiting one")
          .hasMessageContaining("arriving here by live migration");
      source.close(); // the source is gone: the destination resolves by the owner record
      await().atMost(Duration.ofSeconds(15)).until(() -> dst.list().isEmpty());
    }
    assertThat(hostEpochVersion("collided")).as("HA's record stands").isEqualTo("dst 2 1");
  }

  @Test
  void aCommitMessageIsNotEnoughWithoutTheOwnerRecord() throws Exception {
    // Window 1 at the destination: a COMMIT arrives, but the record still names the source.
    try (RawSource source = RawSource.verified(this, "told")) {
      source.send(Frames.COMMIT, java.nio.ByteBuffer.allocate(8).putLong(2).array());
      await().atMost(Duration.ofSeconds(15)).until(() -> dst.list().isEmpty());
    }
    assertThat(hostEpochVersion("told")).isEqualTo("src 1 0");
  }

  /**
   * COMMIT arrives and the record names this host, but reading it fails once (a ZooKeeper
   * connection loss): the destination must not leave its copy waiting (a second process, and HA
   * would boot the VM afresh, its memory lost); the record decides again and the VM runs here with
   * the memory that came.
   */
  @Test
  void aResumeThatCouldNotReadTheOwnerRecordIsDecidedAgainNotLeftWaiting() throws Exception {
    try (RawSource source = RawSource.verified(this, "unread")) {
      ownership.compareAndSet("unread", 0, "dst", 2, source.tag);
      ownership.failingReads.set(1);
      source.send(Frames.COMMIT, java.nio.ByteBuffer.allocate(8).putLong(2).array());
      await().atMost(Duration.ofSeconds(15)).until(() -> dst.describe("unread").state() == VmState.RUNNING);
    }
    assertThat(ownership.failingReads.get()).as("the failing read happened").isZero();
    assertThat(hostEpochVersion("unread")).isEqualTo("dst 2 1");
  }

  // ---- window 10: a source silent after verification ----

  @Test
  void aSourceSilentAfterVerificationBeforeItsCompareAndSetIsFencedAndTheCopyDiscarded() throws Exception {
    try (RawSource source = RawSource.verified(this, "silent")) {
      // The source says nothing more (powered off), but its socket stays open: only the idle
      // timeout can tell. The destination must fence the source's compare-and-set and discard.
      await().atMost(Duration.ofSeconds(15)).until(() -> dst.list().isEmpty());
      assertThat(hostEpochVersion("silent")).as("rewritten unchanged, version moved on")
          .isEqualTo("src 1 1");
      assertThat(ownership.compareAndSet("silent", 0, "dst", 2)).as("the source's late compare-and-set fails").isFalse();
    }
  }

  @Test
  void aSourceThatCrashesAfterVerificationResettingTheConnectionIsFencedAndTheCopyDiscarded() throws Exception {
    // Found by the chaos run (seed 20261202, round 3, migration.source.beforeCas=crash): the killed
    // source's kernel reset the connection, the destination took the reset for a malformed frame
    // and refused the connection, which skipped the rule for a connection lost after
    // verification; its waiting copy stayed a second process of the VM for good.
    try (RawSource source = RawSource.verified(this, "reset")) {
      long waiting = dst.describe("reset").pid();
      source.crash();
      await().atMost(Duration.ofSeconds(15)).until(() -> dst.list().isEmpty());
      assertThat(alive(waiting)).as("the waiting process is gone with it").isFalse();
      assertThat(hostEpochVersion("reset")).as("rewritten unchanged, version moved on").isEqualTo("src 1 1");
      assertThat(ownership.compareAndSet("reset", 0, "dst", 2)).as("the source's late compare-and-set fails").isFalse();
    }
  }

  @Test
  void aMalformedFrameAfterVerificationLeavesTheDecisionToTheOwnerRecord() throws Exception {
    try (RawSource source = RawSource.verified(this, "garbled")) {
      ownership.compareAndSet("garbled", 0, "dst", 2, source.tag); // the source switched, then sent garbage
      source.send((byte) 0x7f, new byte[] {1, 2, 3});
      await().atMost(Duration.ofSeconds(15)).until(() -> dst.describe("garbled").state() == VmState.RUNNING);
      assertThat(hostEpochVersion("garbled")).isEqualTo("dst 2 1");
    }
  }

  @Test
  void aSourceSilentAfterItsCompareAndSetLeavesTheVmRunningOnTheDestination() throws Exception {
    try (RawSource source = RawSource.verified(this, "switched")) {
      ownership.compareAndSet("switched", 0, "dst", 2, source.tag); // then the source lost power before COMMIT
      await().atMost(Duration.ofSeconds(15)).until(() -> dst.describe("switched").state() == VmState.RUNNING);
      assertThat(hostEpochVersion("switched")).isEqualTo("dst 2 1");
    }
  }

  @Test
  void aDestinationWhoseSourceNeverConnectsIsDiscardedSoNoSecondProcessOutlivesIt() throws Exception {
    // Found by the chaos run (seed 20261130, round 35): the source agent crashed between prepare and
    // connect; its VM was restarted at its owner, and the destination's waiting copy stayed a
    // second process of the VM for two minutes.
    ownership.records.put("orphan", new Ownership.Owner("src", 1, 0));
    long waiting = dstService.prepare(new VmSpec("orphan", "idle", 32 * MIB, Map.of(), ""), 2, "src")
        .thenApply(p -> dst.describe("orphan").pid()).get(60, TimeUnit.SECONDS);
    assertThat(alive(waiting)).isTrue();
    await().atMost(Duration.ofSeconds(15)).until(() -> dst.list().isEmpty());
    assertThat(alive(waiting)).as("the waiting process is gone with it").isFalse();
    assertThat(hostEpochVersion("orphan")).as("the record is untouched").isEqualTo("src 1 0");
  }

  // ---- window 3: fencing during a long migration ----

  @Test
  void fencingDuringASlowMigrationStopsTheSourceAndItsLeaseIsNeverRenewedAgain() throws Exception {
    long srcPid = startVm("slow", 64 * MIB);
    // 4 MB/s: round 0 of 64 MiB of non-zero pages takes about 16 s, and holds the VM's queue.
    Migrator m = migrator("slow", new MigrationParams(300, 4_000_000, true, 120_000, false), ownership);
    CompletableFuture<Boolean> done = src.migrateOut("slow", m.id(), m);
    await().atMost(Duration.ofSeconds(30)).until(() -> m.info().bytesTransferred() > 0);

    java.util.List<String> unconfirmed = src.powerOffAll("test: the ZooKeeper session was lost");

    assertThat(unconfirmed).isEmpty();
    // Killed directly, not behind the migration on the VM's queue (which holds it for 16 s more); a
    // killed process may take a moment to be gone on a crowded machine.
    await("killed directly, not behind the migration on the VM's queue").atMost(Duration.ofSeconds(8))
        .until(() -> !alive(srcPid));
    assertThatThrownBy(() -> done.get(60, TimeUnit.SECONDS)).as("the migration was aborted; ownership did not move")
        .isInstanceOf(java.util.concurrent.ExecutionException.class);
    m.finish(false, null);
    assertThat(m.info().status()).isEqualTo(MigrationStatus.FAILED);
    assertThat(m.info().error()).startsWith("aborted: the agent is fencing itself");
    assertThat(hostEpochVersion("slow")).isEqualTo("src 1 0");
    await().atMost(Duration.ofSeconds(10)).until(() -> src.describe("slow").state() == VmState.STOPPED);
    await().atMost(Duration.ofSeconds(10)).until(() -> dst.list().isEmpty());

    // The agent's session comes back and renewal runs again: this copy's lease stays where it was.
    try (GuestMemory memory = GuestMemory.open(dir.resolve("src/mem/slow.mem"))) {
      long deadline = memory.header().leaseDeadline();
      src.renewLeases(io.roam.common.time.Monotonic.millis() + 60_000);
      assertThat(memory.header().leaseDeadline()).isEqualTo(deadline);
    }
    assertThat(alive(srcPid)).isFalse();
  }

  private String hostEpochVersion(String vm) {
    Ownership.Owner o = ownership.records.get(vm);
    return o.host() + " " + o.epoch() + " " + o.version();
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /**
   * A source agent spoken by hand over a raw socket: it prepares the destination, sends HELLO and
   * COMPLETE for all-zero memory (fresh memory is all zeros), waits for VERIFIED and then says
   * nothing unless told to. The owner record names "src" at epoch 1, version 0.
   */
  private static final class RawSource implements AutoCloseable {
    /** The TCP connection under TLS: {@link #crash} resets it as a killed process's kernel does. */
    private final Socket tcp;
    private final Socket socket;
    private final DataOutputStream out;
    private final DataInputStream in;
    /** What this source's compare-and-set writes into the owner record. */
    final String tag;

    private RawSource(MigrationFaultTest t, String vm) throws Exception {
      t.ownership.records.put(vm, new Ownership.Owner("src", 1, 0));
      VmSpec spec = new VmSpec(vm, "idle", 32 * MIB, Map.of(), "");
      String token = t.dstService.prepare(spec, 2, "src").get(60, TimeUnit.SECONDS).token();
      tag = Ownership.migrationTag(token);
      tcp = new Socket();
      tcp.connect(new InetSocketAddress("127.0.0.1", t.dstService.dataPort()), 2000);
      socket = t.pki.client(t.pki.issue(io.roam.common.security.Role.AGENT, "src")).getSocketFactory()
          .createSocket(tcp, "127.0.0.1", t.dstService.dataPort(), true);
      socket.setSoTimeout(30_000);
      out = new DataOutputStream(socket.getOutputStream());
      in = new DataInputStream(socket.getInputStream());
      send(Frames.HELLO, token.getBytes(StandardCharsets.UTF_8));
      expect(Frames.READY);
      PageCrcTable zeroTable = new PageCrcTable((int) (spec.memoryBytes() / Frames.PAGE));
      java.nio.ByteBuffer complete = java.nio.ByteBuffer.allocate(8 + 8 + 4 + 4)
          .putLong(zeroTable.digest()).putLong(-1).putInt(0).putInt(0);
      send(Frames.COMPLETE, complete.array());
      expect(Frames.VERIFIED);
      assertThat(t.dst.describe(vm).state()).isEqualTo(VmState.INCOMING);
    }

    static RawSource verified(MigrationFaultTest t, String vm) throws Exception {
      return new RawSource(t, vm);
    }

    void send(byte type, byte[] body) throws Exception {
      out.writeInt(1 + body.length);
      out.writeByte(type);
      out.write(body);
      out.flush();
    }

    /** Reads frames until one of {@code type} (keepalives from the destination are skipped). */
    private void expect(byte type) throws Exception {
      while (true) {
        byte[] f = new byte[in.readInt()];
        in.readFully(f);
        if (f[0] == type) {
          return;
        }
        assertThat(f[0]).as("frame from the destination: " + new String(f, 1, f.length - 1, StandardCharsets.UTF_8))
            .isEqualTo(Frames.KEEPALIVE);
      }
    }

    /**
     * Ends the connection as a source killed with -9 does when the kernel resets it: a TCP reset,
     * no TLS close_notify, so the destination reads an error, not an orderly end.
     */
    void crash() throws Exception {
      tcp.setSoLinger(true, 0);
      tcp.close();
    }

    @Override
    public void close() throws Exception {
      socket.close();
    }
  }
}
