package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only masters may create Roam's layout in ZooKeeper (ACLs), so an agent that starts before any
 * master (a rack powering up, an ensemble that came first) waits for one, says so once, and
 * registers when a master has made the layout, instead of failing.
 */
class AgentBeforeMasterTest {
  @TempDir Path dir;

  @Test
  void anAgentStartedBeforeAnyMasterWaitsForOneThenRegisters() throws Exception {
    try (LocalCluster c = new LocalCluster(dir)) {
      c.zkPort = LocalCluster.freePort();
      c.startExternalZooKeeper();
      LocalCluster.Node agent = c.startAgent("host1");
      await().atMost(Duration.ofSeconds(60))
          .until(() -> Files.readString(agent.log).contains("waiting for a master to create /roam/hosts"));
      assertThat(agent.process.isAlive()).isTrue();

      c.startMaster("master1", c.zkConnect());
      c.awaitConnectedHosts(1);
      assertThat(Files.readString(agent.log).lines().filter(l -> l.contains("waiting for a master")).count())
          .isEqualTo(1);
    }
  }
}
