package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.roam.common.security.PkiDirectory;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import io.roam.proto.AgentCreateVmRequest;
import io.roam.proto.AgentListVmsRequest;
import io.roam.proto.AgentServiceGrpc;
import io.roam.proto.ClusterServiceGrpc;
import io.roam.proto.CreateVmRequest;
import io.roam.proto.HeartbeatAck;
import io.roam.proto.HeartbeatServiceGrpc;
import io.roam.proto.HostHeartbeat;
import io.roam.proto.VmSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS and roles on each gRPC channel of a real cluster (one master, two agents, separate
 * processes, real sockets): roamctl → master, master → agent, agent → master heartbeats. On each, a
 * peer without a certificate, with a certificate from another CA, and with a valid certificate of
 * the wrong role is refused, and the inventory (or the agent's VMs, or the leader's record of
 * heartbeats) is as before.
 */
class MutualTlsTest {
  @TempDir static Path dir;
  static LocalCluster cluster;
  /** A second CA that issues look-alike certificates (same names, same roles) the cluster must not trust. */
  static PkiDirectory otherCa;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void up() throws Exception {
    cluster = LocalCluster.start(dir, 2);
    otherCa = PkiDirectory.open(dir.resolve("other-pki"), "it");
  }

  @AfterAll
  static void down() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  // ---- roamctl -> master ----

  @Test
  void theMasterRefusesClientsWithoutACertificateOrFromAnotherCaAndChangesNothing() throws Exception {
    List<String> before = vmNames();
    String master = cluster.masters.get(0).address();
    CreateVmRequest create = CreateVmRequest.newBuilder().setSpec(spec("intruder")).build();

    assertRefusedAtHandshake(plaintext(master), ch -> ClusterServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS).createVm(create));
    assertRefusedAtHandshake(trustOnly(master), ch -> ClusterServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS).createVm(create));
    TlsFiles foreignAdmin = otherCa.peer(Role.ADMIN, "admin", List.of());
    assertRefusedAtHandshake(foreign(master, foreignAdmin), ch -> ClusterServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS).createVm(create));
    // roamctl itself, given the foreign certificate, fails with one line.
    LocalCluster.Result r = cluster.ctlAs(foreignAdmin, master, "vm", "create", "intruder", "--program", "idle",
        "--memory", "16MiB");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().strip()).startsWith("roamctl: error: no leader master answered at " + master + " (TLS handshake failed")
        .doesNotContain("\n");

    assertThat(vmNames()).isEqualTo(before).doesNotContain("intruder");
  }

  @Test
  void aViewerCannotCreateAVmAndAnOperatorCan() throws Exception {
    TlsFiles viewer = cluster.user(Role.VIEWER, "vera");
    TlsFiles operator = cluster.user(Role.OPERATOR, "otto");
    String masters = cluster.masterAddresses();

    LocalCluster.Result denied = cluster.ctlAs(viewer, masters, "vm", "create", "by-viewer", "--program", "idle",
        "--memory", "16MiB");
    assertThat(denied.exit()).isEqualTo(1);
    assertThat(denied.err().strip()).isEqualTo(
        "roamctl: error: CreateVm needs role operator or above; the caller is viewer vera");
    assertThat(vmNames()).doesNotContain("by-viewer");
    // A viewer reads.
    LocalCluster.Result ls = cluster.ctlAs(viewer, masters, "vm", "ls");
    assertThat(ls.exit()).as(ls.err()).isZero();

    LocalCluster.Result created = cluster.ctlAs(operator, masters, "vm", "create", "by-operator", "--program", "idle",
        "--memory", "16MiB");
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(vmNames()).contains("by-operator");
    LocalCluster.ok(cluster.ctlAs(operator, masters, "vm", "destroy", "by-operator"));
  }

  @Test
  void anOperatorCannotChangeADrsSettingAndAnAdminCan() throws Exception {
    TlsFiles operator = cluster.user(Role.OPERATOR, "otto");
    String masters = cluster.masterAddresses();
    int threshold = drsThreshold();
    int other = threshold == 5 ? 4 : threshold + 1;

    LocalCluster.Result denied = cluster.ctlAs(operator, masters, "drs", "set", "--threshold", Integer.toString(other));
    assertThat(denied.exit()).isEqualTo(1);
    assertThat(denied.err().strip()).isEqualTo(
        "roamctl: error: SetDrsSettings needs role admin; the caller is operator otto");
    assertThat(drsThreshold()).isEqualTo(threshold);

    LocalCluster.ok(cluster.ctlAs(cluster.admin(), masters, "drs", "set", "--threshold", Integer.toString(other)));
    assertThat(drsThreshold()).isEqualTo(other);
    LocalCluster.ok(cluster.ctl("drs", "set", "--reset"));
  }

  @Test
  void daemonCertificatesAreNotUserCertificates() throws Exception {
    // An agent's certificate (valid, this CA) cannot drive the cluster.
    TlsFiles agent = cluster.pki.peer(Role.AGENT, "host1", List.of());
    LocalCluster.Result r = cluster.ctlAs(agent, cluster.masterAddresses(), "vm", "create", "by-agent", "--program",
        "idle", "--memory", "16MiB");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().strip()).isEqualTo("roamctl: error: CreateVm needs role operator or above; the caller is agent host1");
    assertThat(vmNames()).doesNotContain("by-agent");
  }

  // ---- master -> agent ----

  @Test
  void anAgentTakesCommandsOnlyFromMastersOfItsCa() throws Exception {
    String agent = cluster.agents.get("host1").address();
    long epoch = leaderEpoch();
    AgentCreateVmRequest plant = AgentCreateVmRequest.newBuilder().setMasterEpoch(epoch).setSpec(spec("planted")).build();
    Function<ManagedChannel, Object> call = ch -> AgentServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS).createVm(plant);

    assertRefusedAtHandshake(plaintext(agent), call);
    assertRefusedAtHandshake(trustOnly(agent), call);
    assertRefusedAtHandshake(foreign(agent, otherCa.peer(Role.MASTER, "master1", List.of())), call);
    // Valid certificates of this CA, but not a master's: an admin user, the other agent.
    assertDenied(agent, cluster.admin(), call, "CreateVm needs role master; the caller is admin admin");
    assertDenied(agent, cluster.pki.peer(Role.AGENT, "host2", List.of()), call,
        "CreateVm needs role master; the caller is agent host2");

    ManagedChannel asMaster = LocalCluster.channel(agent, cluster.pki.peer(Role.MASTER, "master1", List.of()));
    try {
      assertThat(AgentServiceGrpc.newBlockingStub(asMaster).withDeadlineAfter(30, TimeUnit.SECONDS)
          .listVms(AgentListVmsRequest.getDefaultInstance()).getVmsList())
          .extracting(v -> v.getSpec().getName()).doesNotContain("planted");
    } finally {
      asMaster.shutdownNow();
    }
    assertThat(vmNames()).doesNotContain("planted");
  }

  // ---- agent -> master heartbeats ----

  @Test
  void theLeaderTakesAHostsHeartbeatsOnlyFromThatHostsAgent() throws Exception {
    String master = cluster.masters.get(0).address();
    HostHeartbeat forHost1 = HostHeartbeat.newBuilder().setHost("host1").setSeq(1).setTimeMs(System.currentTimeMillis())
        .setCores(64).setMemoryBytes(1L << 40).build();

    assertRefusedAtHandshake(plaintext(master), ch -> heartbeat(ch, forHost1).join());
    assertRefusedAtHandshake(trustOnly(master), ch -> heartbeat(ch, forHost1).join());
    assertRefusedAtHandshake(foreign(master, otherCa.peer(Role.AGENT, "host1", List.of())),
        ch -> heartbeat(ch, forHost1).join());
    // A valid certificate of another role, and the agent of another host: refused, and no ack, which
    // the leader sends only for a heartbeat it recorded.
    assertHeartbeatDenied(master, cluster.admin(), forHost1, "Heartbeat needs role agent; the caller is admin admin");
    assertHeartbeatDenied(master, cluster.pki.peer(Role.AGENT, "host2", List.of()), forHost1,
        "Heartbeat for host host1 needs the certificate of agent host1; the caller is agent host2");

    // The same heartbeat from host1's own certificate is taken (and acknowledged).
    ManagedChannel own = LocalCluster.channel(master, cluster.pki.peer(Role.AGENT, "host1", List.of()));
    try {
      HeartbeatResult r = heartbeat(own, forHost1.toBuilder().setCores(2).setMemoryBytes(1L << 30).build()).join();
      assertThat(r.error()).isNull();
      assertThat(r.acks()).isEqualTo(1);
    } finally {
      own.shutdownNow();
    }
  }

  // ---- helpers ----

  private static VmSpec spec(String name) {
    return VmSpec.newBuilder().setName(name).setProgram("idle").setMemoryBytes(16 << 20).build();
  }

  private static List<String> vmNames() throws IOException {
    LocalCluster.Result r = cluster.ctl("-o", "json", "vm", "ls");
    LocalCluster.ok(r);
    List<String> names = new java.util.ArrayList<>();
    JSON.readTree(r.out()).path("vms").forEach(v -> names.add(v.path("spec").path("name").asText()));
    return names;
  }

  private static int drsThreshold() throws IOException {
    LocalCluster.Result r = cluster.ctl("-o", "json", "drs", "status");
    LocalCluster.ok(r);
    JsonNode status = JSON.readTree(r.out());
    return status.path("threshold").asInt();
  }

  private static long leaderEpoch() throws IOException {
    LocalCluster.Result r = cluster.ctl("-o", "json", "leader");
    LocalCluster.ok(r);
    return JSON.readTree(r.out()).path("epoch").asLong();
  }

  private static ManagedChannel plaintext(String target) {
    return NettyChannelBuilder.forTarget(target).usePlaintext().build();
  }

  /** TLS that trusts the cluster's CA but presents no certificate of its own. */
  private static ManagedChannel trustOnly(String target) throws IOException {
    ChannelCredentials c = TlsChannelCredentials.newBuilder().trustManager(cluster.pki.caCertificate().toFile()).build();
    return NettyChannelBuilder.forTarget(target, c).build();
  }

  /** Trusts the cluster's CA (so only the client side is wrong) but presents a certificate of another CA. */
  private static ManagedChannel foreign(String target, TlsFiles foreign) throws IOException {
    ChannelCredentials c = TlsChannelCredentials.newBuilder().keyManager(foreign.cert().toFile(), foreign.key().toFile())
        .trustManager(cluster.pki.caCertificate().toFile()).build();
    return NettyChannelBuilder.forTarget(target, c).build();
  }

  /** The TLS handshake fails: the call never reaches a service. */
  private static void assertRefusedAtHandshake(ManagedChannel ch, Function<ManagedChannel, Object> call) {
    try {
      assertThatThrownBy(() -> call.apply(ch)).satisfies(t -> {
        Throwable cause = t instanceof java.util.concurrent.CompletionException ? t.getCause() : t;
        assertThat(cause).isInstanceOf(StatusRuntimeException.class);
        assertThat(((StatusRuntimeException) cause).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      });
    } finally {
      ch.shutdownNow();
    }
  }

  private static void assertDenied(String target, TlsFiles identity, Function<ManagedChannel, Object> call,
      String message) throws IOException {
    ManagedChannel ch = LocalCluster.channel(target, identity);
    try {
      assertThatThrownBy(() -> call.apply(ch)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(e.getStatus().getDescription()).isEqualTo(message);
      });
    } finally {
      ch.shutdownNow();
    }
  }

  private static void assertHeartbeatDenied(String master, TlsFiles identity, HostHeartbeat hb, String message)
      throws IOException {
    ManagedChannel ch = LocalCluster.channel(master, identity);
    try {
      HeartbeatResult r = heartbeat(ch, hb).join();
      assertThat(r.acks()).as("acknowledged heartbeats").isZero();
      assertThat(r.error()).isNotNull();
      assertThat(r.error().getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(r.error().getStatus().getDescription()).isEqualTo(message);
    } finally {
      ch.shutdownNow();
    }
  }

  record HeartbeatResult(int acks, StatusRuntimeException error) {}

  /**
   * Sends one heartbeat on a new stream and half-closes it; completes with the acks received and
   * how the stream ended (a handshake failure completes exceptionally).
   */
  private static CompletableFuture<HeartbeatResult> heartbeat(ManagedChannel ch, HostHeartbeat hb) {
    CompletableFuture<HeartbeatResult> done = new CompletableFuture<>();
    List<HeartbeatAck> acks = new CopyOnWriteArrayList<>();
    StreamObserver<HostHeartbeat> out = HeartbeatServiceGrpc.newStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
        .heartbeat(new StreamObserver<>() {
          @Override
          public void onNext(HeartbeatAck ack) {
            acks.add(ack);
          }

          @Override
          public void onError(Throwable t) {
            StatusRuntimeException e = t instanceof StatusRuntimeException s ? s : Status.fromThrowable(t).asRuntimeException();
            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
              done.completeExceptionally(e);
            } else {
              done.complete(new HeartbeatResult(acks.size(), e));
            }
          }

          @Override
          public void onCompleted() {
            done.complete(new HeartbeatResult(acks.size(), null));
          }
        });
    out.onNext(hb);
    out.onCompleted();
    return done;
  }
}
