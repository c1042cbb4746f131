package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.roam.agent.net.RecordingAddressControl;
import io.roam.agent.net.VmAddresses;
import io.roam.agent.vm.RecordingEndpoints;
import io.roam.agent.vm.VmLauncher;
import io.roam.agent.vm.VmManager;
import io.roam.agent.vm.VmState;
import io.roam.common.kv.KvClient;
import io.roam.common.model.VmSpec;
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
 * Where a VM's address is during a live migration, between two VM managers with real VM processes
 * and a recording fake of ip/arping for each host on one shared network, which notes any moment
 * when both hosts hold the address: the source gives it up right after the ownership
 * compare-and-set, the destination adds and announces it before its copy resumes; a migration that
 * fails before the compare-and-set leaves it on the source, untouched.
 */
class VmAddressMigrationTest {
  private static final long MIB = 1 << 20;
  private static final String ADDRESS = "127.0.0.78/8";
  @TempDir Path dir;
  private final InMemoryOwnership ownership = new InMemoryOwnership();
  private final RecordingAddressControl.Network net = new RecordingAddressControl.Network();
  private final io.netty.channel.EventLoopGroup group = Transports.group(1);
  private final RecordingEndpoints endpoints = new RecordingEndpoints();
  private VmManager src;
  private VmManager dst;
  private MigrationService dstService;
  private DataPlaneSecurity srcTls;

  @BeforeEach
  void setUp() throws Exception {
    TestPki pki = new TestPki(dir.resolve("pki"));
    srcTls = pki.agent("src");
    src = manager("src");
    dst = manager("dst");
    dstService = new MigrationService(dst, ownership, "dst", "127.0.0.1", 0, pki.agent("dst"));
    ownership.records.put("web", new Ownership.Owner("src", 1, 0));
    // Each copy on a port of its own: in this test both "hosts" share loopback.
    src.create(new VmSpec("web", "kv", 32 * MIB, Map.of("port", "0"), "", ADDRESS), 1).join();
    src.start("web", 1).join();
  }

  private VmManager manager(String host) throws Exception {
    return new VmManager(new VmManager.Settings(host, dir.resolve(host + "/mem"), dir.resolve(host + "/run"),
        dir.resolve(host + "/logs"), 512 * MIB, 60_000), new VmLauncher(32 * MIB, "127.0.0.1"), endpoints, ownership,
        io.roam.agent.cluster.EventSink.NONE, new VmAddresses(host, Optional.empty(),
            new RecordingAddressControl(host, net), dir.resolve(host + "-vm-addresses")));
  }

  @AfterEach
  void tearDown() {
    FaultPoints.disarmAll();
    dstService.close();
    src.close();
    dst.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private boolean migrate() {
    Migrator m = new Migrator("m-web", "web", 32 * MIB, "src", "127.0.0.1", "dst",
        new MigrationParams(300, 0, true, 120_000, true),
        (spec, epoch) -> dstService.prepare(spec, epoch, "src").get(60, TimeUnit.SECONDS), ownership, group, srcTls);
    return MigrationRun.migrate(src, "web", m);
  }

  @Test
  void theSourceGivesTheAddressUpAfterTheCompareAndSetAndTheDestinationTakesItBeforeItResumes() throws Exception {
    try (KvClient c = new KvClient(() -> endpoints.published.get("web"), Duration.ofSeconds(10))) {
      c.put("a", "1");
      assertThat(migrate()).isTrue();
      assertThat(net.log()).containsExactly("src add 127.0.0.78/8", "src announce 127.0.0.78/8",
          "src remove 127.0.0.78/8", "dst add 127.0.0.78/8", "dst announce 127.0.0.78/8");
      assertThat(net.violations()).isEmpty();
      assertThat(net.holder("127.0.0.78")).isEqualTo("dst");
      assertThat(dst.describe("web").endpoint()).startsWith("127.0.0.78:"); // bound after the address came
      assertThat(c.get("a")).contains("1");
    }
  }

  @Test
  void aMigrationThatFailsBeforeTheCompareAndSetLeavesTheAddressOnTheSource() {
    FaultPoints.arm(FaultPoints.SOURCE_BEFORE_CAS, "fail");
    assertThat(migrate()).isFalse();
    assertThat(src.describe("web").state()).isEqualTo(VmState.RUNNING);
    assertThat(net.log()).containsExactly("src add 127.0.0.78/8", "src announce 127.0.0.78/8");
    assertThat(net.holder("127.0.0.78")).isEqualTo("src");
  }

  @Test
  void whenTheSourceFailsAfterTheCompareAndSetTheDestinationStillTakesTheAddressAlone() {
    FaultPoints.arm(FaultPoints.SOURCE_AFTER_CAS, "fail");
    assertThat(migrate()).isTrue();
    await().atMost(Duration.ofSeconds(15)).until(() -> dst.list().stream()
        .anyMatch(v -> v.spec().name().equals("web") && v.state() == VmState.RUNNING));
    assertThat(net.violations()).isEmpty();
    assertThat(net.holder("127.0.0.78")).isEqualTo("dst");
    assertThat(src.list()).isEmpty();
  }
}
