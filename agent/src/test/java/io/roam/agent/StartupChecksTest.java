package io.roam.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.DatastoreHeartbeats;
import io.roam.common.Sizes;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's start-up checks of its host: each mistake refused in one line naming what to change. */
class StartupChecksTest {
  @TempDir Path dir;

  @Test
  void anAddressOfThisHostPassesAndAnotherHostsOrAWildcardIsRefused() throws Exception {
    Set<InetAddress> local = Set.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("10.0.0.5"));
    assertThat(StartupChecks.ownAddressProblem("127.0.0.1", local)).isEmpty();
    assertThat(StartupChecks.ownAddressProblem("10.0.0.5", local)).isEmpty();
    assertThat(StartupChecks.ownAddressProblem("10.0.0.6", local)).hasValue("agent.address '10.0.0.6' (10.0.0.6)"
        + " is not an address of this host (10.0.0.5, 127.0.0.1): set --address (ROAM_AGENT_ADDRESS) to this host's"
        + " own name or IP address");
    assertThat(StartupChecks.ownAddressProblem("0.0.0.0", local)).get().asString()
        .startsWith("agent.address '0.0.0.0' is a wildcard address");
    assertThat(StartupChecks.ownAddressProblem("no-such-host.invalid", local)).get().asString()
        .startsWith("agent.address 'no-such-host.invalid' does not resolve on this host");
  }

  @Test
  void theRealInterfacesIncludeLoopback() throws Exception {
    assertThat(StartupChecks.ownAddressProblem("127.0.0.1", StartupChecks.localAddresses())).isEmpty();
  }

  @Test
  void guestMemoryLargerThanTheMemoryFileSystemIsRefusedNamingShmSize() throws Exception {
    Path shm = Path.of("/dev/shm/roam");
    assertThat(StartupChecks.memoryRoomProblem(shm, 512 * Sizes.MIB, 600 * Sizes.MIB)).isEmpty();
    assertThat(StartupChecks.memoryRoomProblem(shm, 512 * Sizes.MIB, 64 * Sizes.MIB)).hasValue("agent.memory is "
        + Sizes.format(512 * Sizes.MIB) + " but the memory directory /dev/shm/roam is on a file system of only "
        + Sizes.format(64 * Sizes.MIB) + ": give the host a larger /dev/shm (docker: shm_size) or lower agent.memory"
        + " (--memory)");
  }

  @Test
  void aDatastoreWithoutTheLiveHostsHeartbeatsIsNotShared() throws Exception {
    Path shared = dir.resolve("shared");
    Path own = dir.resolve("own");
    DatastoreHeartbeats.write(shared, "agent1", 7);
    assertThat(StartupChecks.sharedDatastoreProblem(own, List.of())).as("first host: nothing to tell").isEmpty();
    assertThat(StartupChecks.sharedDatastoreProblem(shared, List.of("agent1", "agent3"))).isEmpty();
    assertThat(StartupChecks.sharedDatastoreProblem(own, List.of("agent3", "agent1"))).hasValue("the datastore " + own
        + " is not shared: it holds no heartbeat of the live hosts agent1, agent3; mount the same shared datastore"
        + " (NFS, or one docker volume) on every host at agent.datastore (--datastore)");
  }

  @Test
  void aVmPoolSizeAboveItsMaximumIsOneLineNamingBothSettings() {
    assertThat(StartupChecks.vmPoolProblem(4, 16)).isEmpty();
    assertThat(StartupChecks.vmPoolProblem(16, 16)).isEmpty();
    assertThat(StartupChecks.vmPoolProblem(20, 16)).hasValueSatisfying(p -> assertThat(p)
        .contains("agent.vm-pool-size is 20").contains("agent.vm-pool-max is 16").doesNotContain("\n"));
  }
}
