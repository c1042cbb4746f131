package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.roam.agent.memory.AllocatedBytes;
import io.roam.agent.vm.RecordingEndpoints;
import io.roam.agent.vm.VmLauncher;
import io.roam.agent.vm.VmManager;
import io.roam.agent.vm.VmState;
import io.roam.common.model.VmSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory a VM never wrote is never read or sent (DESIGN.md "Memory never written"): a 1 GiB VM
 * that wrote 1 MiB migrates by sending those pages only, with the full-memory digest checked; its
 * memory file on the destination stays sparse; and the destination's written set is right, so the
 * way back sends the same pages only. Guest memory on tmpfs (/dev/shm), as in production: there a
 * read of a hole through the mapping would allocate it, which the allocation check would see.
 */
class NeverWrittenMemoryMigrationTest {
  private static final long MIB = 1 << 20;
  private static final long MEMORY = 1024 * MIB;
  private static final long TOUCHED_PAGES = 256; // memstress ws=1MiB at rate 0: fills them at boot, then idles
  private static final MigrationParams VERIFY_FULL_DIGEST = new MigrationParams(300, 0, true, 120_000, true);

  @TempDir Path dir;
  private Path shm;
  private final InMemoryOwnership ownership = new InMemoryOwnership();
  private final io.netty.channel.EventLoopGroup group = Transports.group(1);
  private VmManager src;
  private VmManager dst;
  private MigrationService srcService;
  private MigrationService dstService;
  private DataPlaneSecurity srcTls;
  private DataPlaneSecurity dstTls;

  @BeforeEach
  void setUp() throws Exception {
    Path devShm = Path.of("/dev/shm");
    Assumptions.assumeTrue(Files.isDirectory(devShm) && Files.isWritable(devShm), "needs tmpfs at /dev/shm");
    shm = Files.createTempDirectory(devShm, "roam-never-written");
    TestPki pki = new TestPki(dir.resolve("pki"));
    srcTls = pki.agent("src");
    dstTls = pki.agent("dst");
    RecordingEndpoints publisher = new RecordingEndpoints();
    src = manager("src", publisher);
    dst = manager("dst", publisher);
    srcService = new MigrationService(src, ownership, "src", "127.0.0.1", 0, srcTls);
    dstService = new MigrationService(dst, ownership, "dst", "127.0.0.1", 0, dstTls);
  }

  private VmManager manager(String host, RecordingEndpoints publisher) throws Exception {
    return new VmManager(new VmManager.Settings(host, shm.resolve(host), dir.resolve(host + "/run"),
        dir.resolve(host + "/logs"), 2048 * MIB, 60_000), new VmLauncher(32 * MIB, "127.0.0.1"), publisher, ownership);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (shm == null) {
      return;
    }
    srcService.close();
    dstService.close();
    src.close();
    dst.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    try (var files = Files.walk(shm)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void onlyThePagesTheVmWroteAreReadAndSentAndTheDestinationStaysSparse() throws Exception {
    ownership.records.put("sparse", new Ownership.Owner("src", 1, 0));
    src.create(new VmSpec("sparse", "memstress", MEMORY, Map.of("rate", "0", "ws", "1MiB"), ""), 1).join();
    src.start("sparse", 1).join();

    Migrator there = new Migrator("m-there", "sparse", MEMORY, "src", "127.0.0.1", "dst", VERIFY_FULL_DIGEST,
        (spec, epoch) -> dstService.prepare(spec, epoch, "src").get(60, TimeUnit.SECONDS), ownership, group, srcTls);
    assertThat(MigrationRun.migrate(src, "sparse", there)).as(there.info().error()).isTrue();
    assertOnlyTouchedPagesWentOver(there.info());
    assertThat(dst.describe("sparse").state()).isEqualTo(VmState.RUNNING);
    long allocated = AllocatedBytes.of(shm.resolve("dst/sparse.mem"));
    assertThat(allocated).as("the destination's memory file holds the written pages, the rest are holes")
        .isBetween(TOUCHED_PAGES * 4096, 2 * MIB);

    // Back again: the destination's written set is the pages it received, nothing more.
    Migrator back = new Migrator("m-back", "sparse", MEMORY, "dst", "127.0.0.1", "src", VERIFY_FULL_DIGEST,
        (spec, epoch) -> srcService.prepare(spec, epoch, "dst").get(60, TimeUnit.SECONDS), ownership, group, dstTls);
    assertThat(MigrationRun.migrate(dst, "sparse", back)).as(back.info().error()).isTrue();
    assertOnlyTouchedPagesWentOver(back.info());
    await().atMost(Duration.ofSeconds(10)).until(() -> src.describe("sparse").heartbeat() > 0);
    assertThat(AllocatedBytes.of(shm.resolve("src/sparse.mem"))).isLessThan(2 * MIB);
  }

  private static void assertOnlyTouchedPagesWentOver(MigrationInfo info) {
    assertThat(info.status()).isEqualTo(MigrationStatus.COMPLETED);
    // Every page read by the source is either sent or named as a zero page: none of the 262,144
    // pages it never wrote may be among them.
    assertThat(info.normalPages()).isGreaterThanOrEqualTo(TOUCHED_PAGES);
    assertThat(info.normalPages() + info.zeroPages()).isLessThan(TOUCHED_PAGES + 64);
    assertThat(info.bytesTransferred()).isLessThan(2 * MIB);
  }
}
