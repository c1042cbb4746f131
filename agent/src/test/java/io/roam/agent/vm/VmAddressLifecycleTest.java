package io.roam.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.roam.agent.migration.InMemoryOwnership;
import io.roam.agent.net.RecordingAddressControl;
import io.roam.agent.net.VmAddresses;
import io.roam.common.kv.KvClient;
import io.roam.common.model.VmSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VM's own address on its host, with real VM processes and a recording fake of ip/arping: added
 * and announced before the program starts, which then serves there (kv on the address's fixed port);
 * removed whenever the copy stops running (stop, crash, power off, fencing); refused, with nothing
 * created, on a host that cannot manage addresses. The address is in 127.0.0.0/8, so the kernel
 * lets the program bind it without the fake having really added it.
 */
class VmAddressLifecycleTest {
  private static final long MIB = 1 << 20;
  private static final String ADDRESS = "127.0.0.77/8";
  @TempDir Path dir;
  private final InMemoryOwnership ownership = new InMemoryOwnership();
  private final RecordingAddressControl.Network net = new RecordingAddressControl.Network();
  private VmManager manager;

  private VmManager manager(VmAddresses addresses) throws Exception {
    manager = new VmManager(new VmManager.Settings("h1", dir.resolve("mem"), dir.resolve("run"), dir.resolve("logs"),
        256 * MIB, 60_000), new VmLauncher(32 * MIB, "127.0.0.1"), new RecordingEndpoints(), ownership,
        io.roam.agent.cluster.EventSink.NONE, addresses);
    ownership.put("web", "h1", 1);
    return manager;
  }

  @AfterEach
  void tearDown() {
    if (manager != null) {
      manager.close();
    }
  }

  @Test
  void theAddressIsOnTheHostExactlyWhileTheVmRunsThereAndItsProgramServesOnIt() throws Exception {
    VmManager m = manager(new VmAddresses("h1", Optional.empty(), new RecordingAddressControl("h1", net),
        dir.resolve("vm-addresses")));
    // A port of its own for this test: two test runs on one machine share loopback.
    VmSpec spec = new VmSpec("web", "kv", 16 * MIB, Map.of("port", "0"), "", ADDRESS);
    m.create(spec, 1).join();
    assertThat(net.log()).as("created, not running: no address yet").isEmpty();
    m.start("web", 1).join();
    assertThat(net.log()).containsExactly("h1 add 127.0.0.77/8", "h1 announce 127.0.0.77/8");
    String endpoint = m.describe("web").endpoint();
    assertThat(endpoint).startsWith("127.0.0.77:");
    try (KvClient c = new KvClient(() -> endpoint, Duration.ofSeconds(5))) {
      c.put("a", "1");
    }

    m.stop("web").join();
    assertThat(net.holder("127.0.0.77")).isNull();
    m.start("web", 1).join();
    assertThat(net.holder("127.0.0.77")).isEqualTo("h1");

    // The VM process dies on its own: its address goes with it.
    ProcessHandle.of(m.describe("web").pid()).orElseThrow().destroyForcibly();
    await().atMost(Duration.ofSeconds(10)).until(() -> m.describe("web").state() == VmState.CRASHED);
    assertThat(net.holder("127.0.0.77")).isNull();

    m.start("web", 1).join();
    m.powerOffAll("test: session lost"); // fencing: off the VM's queue
    assertThat(net.holder("127.0.0.77")).isNull();
    await().atMost(Duration.ofSeconds(10)).until(() -> m.describe("web").state() == VmState.STOPPED);

    assertThat(net.violations()).isEmpty();
    assertThat(Files.readAllLines(dir.resolve("vm-addresses"))).isEmpty();
  }

  @Test
  void aHostThatCannotManageAddressesRefusesAVmWithOneAndCreatesNothing() throws Exception {
    VmManager m = manager(VmAddresses.unmanaged("h1", "the agent lacks CAP_NET_ADMIN"));
    assertThatThrownBy(() -> m.create(new VmSpec("web", "kv", 16 * MIB, Map.of(), "", ADDRESS), 1).join())
        .hasCauseInstanceOf(VmOperationException.class)
        .hasMessageEndingWith("host h1 cannot run VM web, which has the address 127.0.0.77/8 of its own: the agent"
            + " lacks CAP_NET_ADMIN");
    assertThat(m.list()).isEmpty();
    assertThat(dir.resolve("mem").resolve("web.mem")).doesNotExist();
    // A VM without an address is welcome.
    m.create(new VmSpec("plain", "idle", 16 * MIB, Map.of(), ""), 1).join();
    assertThat(m.list()).extracting(v -> v.spec().name()).isEqualTo(List.of("plain"));
  }

  @Test
  void anAddressThatCannotBeAddedStartsNothing() throws Exception {
    RecordingAddressControl control = new RecordingAddressControl("h1", net);
    control.failAdd = "RTNETLINK answers: Operation not permitted";
    VmManager m = manager(new VmAddresses("h1", Optional.empty(), control, dir.resolve("vm-addresses")));
    m.create(new VmSpec("web", "kv", 16 * MIB, Map.of("port", "0"), "", ADDRESS), 1).join();
    assertThatThrownBy(() -> m.start("web", 1).join()).hasCauseInstanceOf(VmOperationException.class)
        .hasMessageContaining("its address 127.0.0.77/8 could not be added on host h1: RTNETLINK answers");
    assertThat(m.describe("web").state()).isEqualTo(VmState.CREATED);
    assertThat(m.describe("web").pid()).isZero();
  }
}
