package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.roam.agent.vm.EndpointPublisher;
import io.roam.agent.vm.RecordingEndpoints;
import io.roam.agent.vm.VmLauncher;
import io.roam.agent.vm.VmManager;
import io.roam.agent.vm.VmState;
import io.roam.agent.vm.VmView;
import io.roam.common.kv.KvClient;
import io.roam.common.model.VmSpec;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live migration between two agents' VM managers in this JVM (the VMs are real child processes,
 * the data plane real sockets); ownership is an in-memory compare-and-set register.
 */
class MigrationTest extends TwoAgents {
  private static final MigrationParams VERIFY = new MigrationParams(300, 0, true, 120_000, true);

  @Test
  void idleAndMemstressVmsArriveWithIdenticalMemory() {
    startVm("idle", "idle", 64 * MIB, Map.of());
    Migrator m = migrator("idle", VERIFY);
    assertThat(migrate("idle", m)).as(m.info().error()).isTrue();
    MigrationInfo info = m.info();
    assertThat(info.status()).isEqualTo(MigrationStatus.COMPLETED);
    assertThat(info.normalPages()).isGreaterThanOrEqualTo(64 * MIB / 4096);
    assertThat(dst.describe("idle").state()).isEqualTo(VmState.RUNNING);
    assertThat(src.list()).isEmpty();
    Ownership.Owner idleOwner = ownership.records.get("idle");
    assertThat(idleOwner.host() + " " + idleOwner.epoch() + " " + idleOwner.version()).isEqualTo("dst 2 1");
    // Where the time went (issue 12): every phase was reached, the destination reported its parts
    // (over the prepare answer, VERIFIED and COMMITTED), and the pause's parts make up the pause.
    MigrationPhases phases = info.phases();
    assertThat(phases.totalMicros()).isPositive();
    assertThat(phases.prepareMicros()).isGreaterThanOrEqualTo(phases.destMemoryFileMicros() + phases.destJvmMicros());
    assertThat(phases.destJvmMicros()).isPositive();
    assertThat(phases.copyMicros()).isPositive();
    assertThat(phases.destVerifyMicros()).isPositive(); // the full digest of 64 MiB was compared
    assertThat(phases.destResumeMicros()).isPositive();
    assertThat(phases.commitMicros()).isGreaterThanOrEqualTo(phases.destResumeMicros());
    assertThat(phases.lastPagesMicros() + phases.verifyMicros() + phases.ownershipMicros() + phases.commitMicros())
        .isEqualTo(phases.pauseMicros());

    // A VM writing hard (200 MB/s over 16 MiB) during the copy, and the agent's dirty-rate sampler
    // running all the while: the full digests must still match.
    startVm("stress", "memstress", 64 * MIB, Map.of("rate", "200", "ws", "16MiB"));
    java.util.concurrent.atomic.AtomicBoolean sampling = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (sampling.get()) {
        src.sampleDirtyRates();
        Thread.onSpinWait();
      }
    });
    sampler.start();
    Migrator s = migrator("stress", VERIFY);
    boolean moved = migrate("stress", s);
    sampling.set(false);
    assertThat(moved).as(s.info().error()).isTrue();
    assertThat(s.info().rounds()).isGreaterThanOrEqualTo(1);
    assertThat(dst.describe("stress").state()).isEqualTo(VmState.RUNNING);
    await().atMost(Duration.ofSeconds(5)).until(() -> dst.describe("stress").heartbeat() > 0);
  }

  @Test
  void aKvVmKeepsItsDataAndItsClientFollowsIt() throws Exception {
    startVm("kv", "kv", 32 * MIB, Map.of());
    try (KvClient c = new KvClient(() -> endpoints.get("kv"), Duration.ofSeconds(10))) {
      for (int i = 0; i < 100; i++) {
        c.put("k" + i, "v" + i);
      }
      assertThat(c.increment("counter")).isEqualTo(1);
      String before = endpoints.get("kv");
      Migrator m = migrator("kv", VERIFY);
      assertThat(migrate("kv", m)).as(m.info().error()).isTrue();
      await().atMost(Duration.ofSeconds(5)).until(() -> !before.equals(endpoints.get("kv")));
      for (int i = 0; i < 100; i++) {
        assertThat(c.get("k" + i)).contains("v" + i);
      }
      assertThat(c.increment("counter")).isEqualTo(2);
    }
  }

  @Test
  void aVmDirtyingFasterThanTheLimitAllowsConvergesOnlyWithAutoConverge() {
    // 100 MB/s of writes over 4 MiB, copied at 20 MB/s against a 1 ms downtime limit: unthrottled,
    // every round finds the whole working set dirty again (a fivefold margin, so that a VM process
    // slowed by a loaded machine still dirties faster than the copy).
    startVm("hot", "memstress", 16 * MIB, Map.of("rate", "100", "ws", "4MiB"));
    Migrator without = migrator("hot", new MigrationParams(1, 20_000_000, false, 120_000, false));
    assertThat(migrate("hot", without)).isFalse();
    assertThat(without.info().error()).contains("did not converge");
    assertThat(without.info().rounds()).isGreaterThanOrEqualTo(MigrationParams.MAX_ROUNDS_WITHOUT_AUTO_CONVERGE);
    assertThat(without.info().throttlePercent()).isZero();
    assertSourceStillRunsAndDestinationIsEmpty("hot");
    assertThat(src.describe("hot").throttlePercent()).as("unthrottled after the failure").isZero();

    Migrator with = migrator("hot", new MigrationParams(1, 20_000_000, true, 120_000, true));
    assertThat(migrate("hot", with)).as(with.info().error()).isTrue();
    // Throttled to get there, unless the VM's own process stalled (the machine's load, not Roam) so
    // long that the first rounds already found nothing dirty: that run proves nothing either way and
    // is reported as skipped, not passed. (CI saw it once, at load 12.)
    assumeThat(with.info().rounds()).as("the VM stalled: converged in %d rounds", with.info().rounds()).isGreaterThan(2);
    assertThat(with.info().throttlePercent()).isGreaterThanOrEqualTo(20);
    assertThat(dst.describe("hot").state()).isEqualTo(VmState.RUNNING);
  }

  @Test
  void aFailureBeforeTheCompareAndSetLeavesTheVmRunningOnTheSource() {
    startVm("stay", "kv", 32 * MIB, Map.of());
    FaultPoints.arm(FaultPoints.SOURCE_BEFORE_CAS, "fail");
    Migrator m = migrator("stay", VERIFY);
    assertThat(migrate("stay", m)).isFalse();
    assertThat(m.info().status()).isEqualTo(MigrationStatus.FAILED);
    assertThat(m.info().error()).contains("fault injected at migration.source.beforeCas").contains("kept running on src");
    assertSourceStillRunsAndDestinationIsEmpty("stay");
  }

  @Test
  void aFailureAfterTheCompareAndSetLeavesOnlyTheDestinationRunning() {
    startVm("go", "kv", 32 * MIB, Map.of());
    long srcPid = src.describe("go").pid();
    FaultPoints.arm(FaultPoints.SOURCE_AFTER_CAS, "fail");
    Migrator m = migrator("go", VERIFY);
    assertThat(migrate("go", m)).isTrue();
    // The source never told the destination to resume; the destination decides by ownership.
    await().atMost(Duration.ofSeconds(15)).until(() -> dst.list().stream()
        .anyMatch(v -> v.spec().name().equals("go") && v.state() == VmState.RUNNING));
    assertThat(src.list()).isEmpty();
    assertThat(ProcessHandle.of(srcPid).map(ProcessHandle::isAlive)).isIn(Optional.empty(), Optional.of(false));
  }

  @Test
  void aCorruptBatchIsRejectedAndTheSourceVmIsUnaffected() {
    startVm("crc", "idle", 32 * MIB, Map.of());
    FaultPoints.arm(FaultPoints.SOURCE_CORRUPT_BATCH, "corrupt");
    Migrator m = migrator("crc", VERIFY);
    assertThat(migrate("crc", m)).isFalse();
    assertThat(m.info().error()).contains("checksum mismatch");
    assertSourceStillRunsAndDestinationIsEmpty("crc");
  }

  /**
   * With encryption off, the kernel reads each page straight from the guest's memory when it
   * sends it, some time after its checksum was taken: pages a VM writes hard arrive not matching
   * their checksums and must be tolerated (they come again), and the memory that arrives must
   * still be identical (the full digest is compared at the switchover).
   */
  @Test
  void withEncryptionOffABusyVmSentStraightFromItsMemoryArrivesIdentical() throws Exception {
    plaintextOnBothAgents();
    startVm("stress", "memstress", 64 * MIB, Map.of("rate", "400", "ws", "32MiB"));
    Migrator m = migrator("stress", VERIFY);
    assertThat(migrate("stress", m)).as(m.info().error()).isTrue();
    assertThat(dst.describe("stress").state()).isEqualTo(VmState.RUNNING);
    await().atMost(Duration.ofSeconds(5)).until(() -> dst.describe("stress").heartbeat() > 0);
  }

  /**
   * A page whose bytes do not match its checksum is taken for a change in flight during the
   * copy, but one that never comes again is corruption: the table digest at the switchover
   * catches it, the migration fails, and the VM keeps running on the source. With TLS and without.
   */
  @Test
  void aPageThatArrivesCorruptAndIsNeverSentAgainFailsTheSwitchover() throws Exception {
    for (boolean plaintext : new boolean[] {false, true}) {
      if (plaintext) {
        plaintextOnBothAgents();
      }
      String vm = plaintext ? "corrupt-off" : "corrupt-tls";
      startVm(vm, "idle", 32 * MIB, Map.of());
      FaultPoints.arm(FaultPoints.SOURCE_CORRUPT_PAGE, "corrupt");
      Migrator m = migrator(vm, new MigrationParams(300, 0, true, 120_000, false)); // no full digest: the table's alone
      assertThat(migrate(vm, m)).isFalse();
      assertThat(m.info().error()).contains("memory digest mismatch");
      assertSourceStillRunsAndDestinationIsEmpty(vm);
    }
  }

  private void plaintextOnBothAgents() throws Exception {
    dstService.close();
    dstService = new MigrationService(dst, ownership, "dst", "127.0.0.1", 0, pki.agent("dst", MigrationEncryption.OFF));
    srcTls = pki.agent("src", MigrationEncryption.OFF);
  }

  @Test
  void cancelDuringPrecopyKeepsTheVmOnTheSource() throws Exception {
    startVm("slow", "idle", 64 * MIB, Map.of());
    // The slowest pace allowed (1 MiB/s): the copy would take a minute; the cancel ends it, and
    // its pacing wait, at once (PacerTest shows a wait of minutes ends at the cancel).
    Migrator m = migrator("slow", new MigrationParams(300, MigrationParams.MIN_BANDWIDTH, true, 120_000, false));
    var done = src.migrateOut("slow", m.id(), m);
    await().atMost(Duration.ofSeconds(30)).until(() -> m.info().bytesTransferred() > 0);
    m.cancel();
    assertThatThrownBy(() -> done.get(60, TimeUnit.SECONDS)).hasMessageContaining("cancelled");
    m.finish(false, null);
    assertThat(m.info().status()).isEqualTo(MigrationStatus.CANCELLED);
    assertSourceStillRunsAndDestinationIsEmpty("slow");
  }

  @Test
  void wrongTokensUnknownPeersAndMalformedFramesAreRejected() throws Exception {
    startVm("target", "idle", 32 * MIB, Map.of());
    String token = dstService.prepare(src.describe("target").spec(), 2, "src").get(60, TimeUnit.SECONDS).token();
    int port = dstService.dataPort();
    assertThat(dst.describe("target").state()).isEqualTo(VmState.INCOMING);
    javax.net.ssl.SSLContext asSrc = pki.client(pki.issue(io.roam.common.security.Role.AGENT, "src"));
    javax.net.ssl.SSLContext asMallory = pki.client(pki.issue(io.roam.common.security.Role.AGENT, "mallory"));

    assertThat(exchange(port, asSrc, hello("0123456789abcdef0123456789abcdef"))).contains("unknown or used migration token");
    // The real token from the source's own address, but with another host's agent certificate.
    assertThat(exchange(port, asMallory, hello(token))).contains("not the source host's agent")
        .contains("names agent mallory, not agent src");
    assertThat(dst.describe("target").state()).as("the impostor changed nothing").isEqualTo(VmState.INCOMING);
    // The real token, then a frame of an unknown type and a truncated PAGES frame.
    assertThat(exchange(port, asSrc, hello(token), frame((byte) 99))).contains("unknown frame type 99");
    await().atMost(Duration.ofSeconds(10)).until(() -> dst.list().isEmpty()); // the session was discarded

    assertThat(src.describe("target").state()).isEqualTo(VmState.RUNNING);
    long hb = src.describe("target").heartbeat();
    await().atMost(Duration.ofSeconds(5)).until(() -> src.describe("target").heartbeat() > hb);
    String token2 = dstService.prepare(src.describe("target").spec(), 2, "src").get(60, TimeUnit.SECONDS).token();
    assertThat(exchange(port, asSrc, hello(token2), frame(Frames.PAGES, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)))
        .contains("PAGES of 1 pages must hold"); // truncated: it claims a page and carries none
  }

  private void assertSourceStillRunsAndDestinationIsEmpty(String vm) {
    VmView v = src.describe(vm);
    assertThat(v.state()).isEqualTo(VmState.RUNNING);
    assertThat(v.migrationId()).isEmpty();
    assertThat(ownership.records.get(vm).host()).isEqualTo("src");
    long hb = v.heartbeat();
    await().atMost(Duration.ofSeconds(5)).until(() -> src.describe(vm).heartbeat() > hb);
    await().atMost(Duration.ofSeconds(10)).until(() -> dst.list().isEmpty());
  }

  static byte[] hello(String token) {
    byte[] t = token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] f = new byte[1 + t.length];
    f[0] = Frames.HELLO;
    System.arraycopy(t, 0, f, 1, t.length);
    return f;
  }

  static byte[] frame(byte type, int... body) {
    byte[] f = new byte[1 + body.length];
    f[0] = type;
    for (int i = 0; i < body.length; i++) {
      f[1 + i] = (byte) body[i];
    }
    return f;
  }

  /** Sends raw frames over TLS as {@code client} and returns the text of the last reply frame. */
  static String exchange(int port, javax.net.ssl.SSLContext client, byte[]... frames) throws Exception {
    try (Socket s = client.getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(5000);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      for (byte[] f : frames) {
        out.writeInt(f.length);
        out.write(f);
      }
      out.flush();
      java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
      String last = "";
      try {
        while (true) {
          byte[] r = new byte[in.readInt()];
          in.readFully(r);
          if (r[0] != Frames.KEEPALIVE) {
            last = r[0] + " " + new String(r, 1, r.length - 1, java.nio.charset.StandardCharsets.UTF_8);
          }
        }
      } catch (java.io.IOException e) {
        return last; // closed (or reset) by the destination
      }
    }
  }
}
