package io.roam.master.zk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.roam.common.zk.GrantedSession;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.RetryNTimes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The granted session timeout is read from an established session only: a client started before
 * its server waits for it, and one that never gets a session says so instead of reporting 0.
 */
class GrantedSessionTest {
  @TempDir Path dir;

  @Test
  void aClientStartedBeforeItsServerWaitsForTheSessionAndReadsWhatTheServerGranted() throws Exception {
    int port = freePort();
    try (CuratorFramework zk = TestPki.get().client("127.0.0.1:" + port, new RetryNTimes(100, 100))) {
      zk.start();
      Thread server = new Thread(() -> {
        try {
          Thread.sleep(1_000);
          servers.set(new EmbeddedZooKeeper("127.0.0.1", port, dir, TestPki.get().master()));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      server.start();
      try {
        assertThat(GrantedSession.timeoutMs(zk, Duration.ofSeconds(60))).isPositive();
      } finally {
        server.join();
        servers.get().close();
      }
    }
  }

  @Test
  void noSessionWithinTheBoundIsAnErrorNotAZeroTimeout() throws Exception {
    int port = freePort();
    try (CuratorFramework zk = TestPki.get().client("127.0.0.1:" + port, new RetryNTimes(0, 10))) {
      zk.start();
      assertThatThrownBy(() -> GrantedSession.timeoutMs(zk, Duration.ofMillis(500)))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("no ZooKeeper session was granted");
    }
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private final java.util.concurrent.atomic.AtomicReference<EmbeddedZooKeeper> servers =
      new java.util.concurrent.atomic.AtomicReference<>();
}
