package io.roam.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.events.EventBounds;
import io.roam.common.model.EventRecord;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10: the agents' path into the event log is bounded like the masters' (a real ZooKeeper server). */
class ZkEventSinkTest {
  @TempDir Path dir;
  private ServerCnxnFactory factory;
  private CuratorFramework zk;

  @BeforeEach
  void startZooKeeper() throws Exception {
    ZooKeeperServer server = new ZooKeeperServer(dir.toFile(), dir.toFile(), 500);
    factory = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 50);
    factory.startup(server);
    zk = CuratorFrameworkFactory.newClient("127.0.0.1:" + factory.getLocalPort(), new RetryOneTime(100));
    zk.start();
    assertThat(zk.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
  }

  @AfterEach
  void stop() {
    zk.close();
    factory.shutdown();
  }

  @Test
  void anAgentAloneKeepsTheLogToItsNewestEvents() throws Exception {
    ZkEventSink sink = new ZkEventSink(zk, "h1", 150);
    for (int i = 0; i < 1_000; i++) {
      sink.event("vm.test", "vm" + i, "event " + i);
    }
    // The appends and trims are asynchronous: wait until the last event is in and the last trim done.
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
      List<String> names = zk.getChildren().forPath(ZkPaths.EVENTS);
      assertThat(names).contains(String.format("e-%010d", 999));
      assertThat(names.size()).isBetween(150, 150 + EventBounds.TRIM_EVERY);
    });
  }

  @Test
  void aHugeMessageFromAnAgentIsStoredCutWithAMarker() throws Exception {
    new ZkEventSink(zk, "h1", 150).event("vm.crashed", "web", "z".repeat(200_000));
    await().atMost(Duration.ofSeconds(30)).until(() -> zk.checkExists().forPath(ZkPaths.EVENTS) != null
        && !zk.getChildren().forPath(ZkPaths.EVENTS).isEmpty());
    String name = zk.getChildren().forPath(ZkPaths.EVENTS).get(0);
    EventRecord e = Json.read(zk.getData().forPath(ZkPaths.EVENTS + "/" + name), EventRecord.class);
    assertThat(e.message()).hasSizeLessThan(EventBounds.MAX_MESSAGE + 40).contains("...[cut ");
    assertThat(e.host()).isEqualTo("h1");
  }
}
