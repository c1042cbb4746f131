package io.roam.master.zk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.roam.common.ZkPaths;
import io.roam.common.security.CertificateAuthority;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded ZooKeeper over TLS, with Roam's authentication and ACLs: who may connect, and what
 * an agent may write (its own host's nodes, owner records, endpoints, events) and may not (the
 * inventory, another host's nodes, owner records' existence, power specs), with nothing changed by
 * a refused write.
 */
class ZooKeeperSecurityTest {
  @TempDir Path dir;
  private EmbeddedZooKeeper server;
  private String connect;
  private final List<CuratorFramework> clients = new ArrayList<>();
  private CuratorFramework master;
  private CuratorFramework host1;
  private CuratorFramework host2;

  @BeforeEach
  void start() throws Exception {
    server = TestPki.get().server(dir.resolve("zk"));
    connect = "127.0.0.1:" + server.port();
    master = connected(TestPki.get().client(connect, new RetryOneTime(100)));
    // The layout as masters and an agent create it.
    master.create().creatingParentsIfNeeded().forPath(ZkPaths.EPOCH, bytes("7"));
    master.create().creatingParentsIfNeeded().forPath(ZkPaths.RULES, bytes("[]"));
    master.create().creatingParentsIfNeeded().forPath(ZkPaths.EVENTS);
    master.create().creatingParentsIfNeeded().forPath(ZkPaths.vm("vm1"), bytes("{vm1}"));
    master.create().forPath(ZkPaths.vmOwner("vm1"), owner("host1", 1));
    master.create().creatingParentsIfNeeded().forPath(ZkPaths.HOSTS);
    host1 = connected(TestPki.get().client(connect, new RetryOneTime(100), TestPki.get().tls(Role.AGENT, "host1")));
    host2 = connected(TestPki.get().client(connect, new RetryOneTime(100),
        TestPki.get().tls(Role.AGENT, "host2")));
    host2.create().forPath(ZkPaths.host("host2"), bytes("{host2}"));
    host2.create().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.hostLive("host2"));
    master.create().forPath(ZkPaths.hostPower("host2"), bytes("{secret}"));
  }

  @AfterEach
  void stop() {
    clients.forEach(CuratorFramework::close);
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aClientWithoutCertificateOrFromAnotherCaOrOfAUserRoleCannotConnect() throws Exception {
    CuratorFramework plain = CuratorFrameworkFactory.newClient(connect, 3_000, 1_000, new RetryOneTime(100));
    clients.add(plain);
    plain.start();
    assertThat(plain.blockUntilConnected(3, TimeUnit.SECONDS)).as("plaintext client").isFalse();

    CertificateAuthority other = CertificateAuthority.init(dir.resolve("other-ca"), "evil");
    var foreign = other.issue(Role.MASTER, "mallory", List.of("127.0.0.1"), Duration.ofDays(1), dir.resolve("mallory"));
    // Trusts the real CA (so it would accept the server) but presents a certificate of another CA.
    TlsFiles foreignTls = TlsFiles.of(foreign.ca(), foreign.cert(), foreign.key());
    CuratorFramework forged = TestPki.get().client(connect, new RetryOneTime(100),
        withCa(foreignTls, TestPki.get().master().ca()));
    clients.add(forged);
    forged.start();
    assertThat(forged.blockUntilConnected(3, TimeUnit.SECONDS)).as("certificate of another CA").isFalse();

    CuratorFramework admin = TestPki.get().client(connect, new RetryOneTime(100), TestPki.get().tls(Role.ADMIN, "alice"));
    clients.add(admin);
    admin.start();
    assertThat(admin.blockUntilConnected(3, TimeUnit.SECONDS)).as("user certificate").isFalse();

    assertThat(master.getData().forPath(ZkPaths.EPOCH)).asString(StandardCharsets.UTF_8).isEqualTo("7");
  }

  @Test
  void anAgentWritesOnlyItsOwnHostsNodesTheOwnerRecordAndEndpointOfItsOwnVmsAndEvents() throws Exception {
    host1.create().forPath(ZkPaths.host("host1"), bytes("{host1}"));
    host1.setData().forPath(ZkPaths.host("host1"), bytes("{host1 v2}"));
    host1.create().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.hostLive("host1"));
    host1.create().forPath(ZkPaths.vmEndpoint("vm1"), bytes("127.0.0.1:1"));
    host1.setData().forPath(ZkPaths.vmEndpoint("vm1"), bytes("127.0.0.1:2"));
    host1.delete().forPath(ZkPaths.vmEndpoint("vm1"));
    host1.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(ZkPaths.EVENT_PREFIX, bytes("{event}"));
    // The owner's agent moves ownership on (a migration's switchover)...
    Stat owner = host1.checkExists().forPath(ZkPaths.vmOwner("vm1"));
    host1.setData().withVersion(owner.getVersion()).forPath(ZkPaths.vmOwner("vm1"), owner("host2", 2));
    // ...and from then on the new owner's agent may write, and the old one may not.
    host2.create().forPath(ZkPaths.vmEndpoint("vm1"), bytes("127.0.0.2:1"));
    List<String> before = snapshot();
    refused(() -> host1.setData().forPath(ZkPaths.vmOwner("vm1"), owner("host1", 3)));
    refused(() -> host1.setData().forPath(ZkPaths.vmEndpoint("vm1"), bytes("127.0.0.1:3")));
    refused(() -> host1.delete().forPath(ZkPaths.vmEndpoint("vm1")));
    assertThat(snapshot()).isEqualTo(before);

    assertThat(master.getData().forPath(ZkPaths.host("host1"))).asString(StandardCharsets.UTF_8).isEqualTo("{host1 v2}");
    assertThat(master.getData().forPath(ZkPaths.vmOwner("vm1"))).isEqualTo(owner("host2", 2));
    assertThat(master.getChildren().forPath(ZkPaths.EVENTS)).hasSize(1);
  }

  @Test
  void anAgentCannotTakeAVmItDoesNotOwnNorPublishItsEndpointAndNothingChanges() throws Exception {
    master.create().forPath(ZkPaths.vm("vm2"), bytes("{vm2}"));
    master.create().forPath(ZkPaths.vmOwner("vm2"), bytes("not a record"));
    List<String> before = snapshot();
    Stat owner = host2.checkExists().forPath(ZkPaths.vmOwner("vm1"));
    // The stolen-ownership attack: an agent writes itself into another host's VM's record, by version.
    refused(() -> host2.setData().withVersion(owner.getVersion()).forPath(ZkPaths.vmOwner("vm1"), owner("host2", 2)));
    refused(() -> host2.create().forPath(ZkPaths.vmEndpoint("vm1"), bytes("127.0.0.2:1")));
    // A record Roam did not write names no owner: nobody may write as its owner.
    refused(() -> host1.setData().forPath(ZkPaths.vmOwner("vm2"), owner("host1", 1)));
    refused(() -> host2.setData().forPath(ZkPaths.vmOwner("vm2"), owner("host2", 1)));
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void anAgentCannotWriteTheInventoryAnotherHostsNodesOrPowerSpecsAndNothingChanges() throws Exception {
    List<String> before = snapshot();
    refused(() -> host1.setData().forPath(ZkPaths.vm("vm1"), bytes("{evil}")));
    refused(() -> host1.setData().forPath(ZkPaths.EPOCH, bytes("9223372036854775807")));
    refused(() -> host1.setData().forPath(ZkPaths.RULES, bytes("[evil]")));
    refused(() -> host1.create().forPath(ZkPaths.vm("vm2"), bytes("{planted}")));
    refused(() -> host1.delete().forPath(ZkPaths.vmOwner("vm1")));
    refused(() -> host1.create().forPath(ZkPaths.vm("vm1") + "/junk"));
    refused(() -> host1.setData().forPath(ZkPaths.host("host2"), bytes("{evil}")));
    refused(() -> host1.create().forPath(ZkPaths.hostControl("host2"), bytes("{evil}")));
    refused(() -> host1.delete().forPath(ZkPaths.hostLive("host2")));
    refused(() -> host1.create().forPath(ZkPaths.host("host3"), bytes("{squatted}")));
    refused(() -> host1.getData().forPath(ZkPaths.hostPower("host2")));
    refused(() -> host1.setData().forPath(ZkPaths.hostPower("host2"), bytes("{evil}")));
    refused(() -> host1.setACL().withACL(org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(ZkPaths.vm("vm1")));
    refused(() -> host1.delete().forPath(ZkPaths.EVENTS));
    assertThat(snapshot()).isEqualTo(before);

    // A master may.
    master.setData().forPath(ZkPaths.vm("vm1"), bytes("{vm1 v2}"));
    master.setData().forPath(ZkPaths.hostPower("host2"), bytes("{new}"));
    master.create().forPath(ZkPaths.hostControl("host2"), bytes("{maintenance}"));
    master.delete().forPath(ZkPaths.hostLive("host2"));
    assertThat(master.getData().forPath(ZkPaths.vm("vm1"))).asString(StandardCharsets.UTF_8).isEqualTo("{vm1 v2}");
  }

  @Test
  void theLeadersRepairClosesNodesAnOlderRoamLeftOpen() throws Exception {
    var open = org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;
    master.create().withACL(open).forPath(ZkPaths.vm("old"), bytes("{old}"));
    master.create().withACL(open).forPath(ZkPaths.vmOwner("old"), owner("host2", 1));
    host1.setData().forPath(ZkPaths.vmOwner("old"), owner("host1", 1)); // open: anyone may

    assertThat(io.roam.common.zk.ZkAclRepair.repair(master, new io.roam.common.zk.ZkAcls())).isEqualTo(2);
    refused(() -> host2.setData().forPath(ZkPaths.vmOwner("old"), owner("host2", 2)));
    refused(() -> host1.setData().forPath(ZkPaths.vm("old"), bytes("{evil}")));
    host1.setData().forPath(ZkPaths.vmOwner("old"), owner("host2", 2)); // the owner's agent still may
    assertThat(io.roam.common.zk.ZkAclRepair.repair(master, new io.roam.common.zk.ZkAcls())).isZero();
  }

  /** Every node under /roam with its data and data version, depth first. */
  private List<String> snapshot() throws Exception {
    List<String> out = new ArrayList<>();
    walk(ZkPaths.ROOT, out);
    return out;
  }

  private void walk(String path, List<String> out) throws Exception {
    Stat stat = new Stat();
    byte[] data = master.getData().storingStatIn(stat).forPath(path);
    out.add(path + " v" + stat.getVersion() + " " + (data == null ? "" : new String(data, StandardCharsets.UTF_8)));
    for (String child : master.getChildren().forPath(path).stream().sorted().toList()) {
      walk(path + "/" + child, out);
    }
  }

  private interface ZkCall {
    void run() throws Exception;
  }

  private static void refused(ZkCall call) {
    assertThatThrownBy(call::run).isInstanceOf(KeeperException.NoAuthException.class);
  }

  private CuratorFramework connected(CuratorFramework c) throws InterruptedException {
    clients.add(c);
    c.start();
    assertThat(c.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
    return c;
  }

  /** {@code tls}'s certificate and key with another CA file (TlsFiles checks the pair against its CA). */
  private static TlsFiles withCa(TlsFiles tls, Path ca) throws Exception {
    Path bundle = tls.ca().resolveSibling("bundle.crt");
    java.nio.file.Files.writeString(bundle, java.nio.file.Files.readString(tls.ca()) + java.nio.file.Files.readString(ca));
    return TlsFiles.of(bundle, tls.cert(), tls.key());
  }

  private static byte[] owner(String host, long epoch) {
    return io.roam.common.Json.write(new io.roam.common.model.OwnerRecord(host, epoch, ""));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
