package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.agent.cluster.ZkOwnership;
import io.roam.agent.migration.Ownership;
import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.model.OwnerRecord;
import io.roam.common.security.PkiDirectory;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import io.roam.common.zk.ZkTls;
import io.roam.master.zk.EmbeddedZooKeeper;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's owner-record reads on a real ZooKeeper: {@code readLatest} (a sync, then the read,
 * which a start or a resume falls back to before refusing) sees a compare-and-set that another
 * client made, as the plain read does, and answers within the connection timeout.
 */
class ZkOwnershipTest {
  @TempDir Path dir;

  @Test
  void readLatestSeesAnotherClientsWrite() throws Exception {
    PkiDirectory pki = PkiDirectory.open(dir.resolve("pki"), "test");
    TlsFiles master = pki.peer(Role.MASTER, "m1", List.of("127.0.0.1", "localhost"));
    try (EmbeddedZooKeeper server = new EmbeddedZooKeeper("127.0.0.1", 0, dir.resolve("zk"), master);
        CuratorFramework writer = client(server, master);
        CuratorFramework agent = client(server, master)) {
      String path = ZkPaths.vmOwner("v");
      writer.create().creatingParentsIfNeeded().forPath(path, Json.write(new OwnerRecord("a", 1)));
      ZkOwnership ownership = new ZkOwnership(agent, null);
      assertThat(ownership.readLatest("v")).contains(new Ownership.Owner("a", 1, 0));

      writer.setData().withVersion(0).forPath(path, Json.write(new OwnerRecord("b", 2, "tag")));

      assertThat(ownership.readLatest("v")).contains(new Ownership.Owner("b", 2, 1, "tag"));
      assertThat(ownership.readLatest("absent")).isEmpty();
    }
  }

  private static CuratorFramework client(EmbeddedZooKeeper server, TlsFiles tls) throws Exception {
    CuratorFramework c = ZkTls.secure(CuratorFrameworkFactory.builder(), tls)
        .connectString("127.0.0.1:" + server.port()).retryPolicy(new RetryOneTime(100)).build();
    c.start();
    assertThat(c.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
    return c;
  }
}
