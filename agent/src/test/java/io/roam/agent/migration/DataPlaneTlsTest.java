package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.roam.agent.vm.RecordingEndpoints;
import io.roam.agent.vm.VmLauncher;
import io.roam.agent.vm.VmManager;
import io.roam.agent.vm.VmState;
import io.roam.common.kv.KvClient;
import io.roam.common.model.VmSpec;
import io.roam.common.security.Role;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, the migration data plane: mutual TLS by certificate name, encryption on and off, and
 * hostile peers. Two agents' VM managers in this JVM, real VM processes, real sockets (through a
 * recording TCP proxy where the wire matters); ownership in memory.
 */
class DataPlaneTlsTest {
  private static final long MIB = 1 << 20;
  /** A prepared destination whose source never comes is discarded after 2 s (10 s would do too). */
  private static final Liveness FAST = new Liveness(Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(2));
  private static final MigrationParams VERIFY = new MigrationParams(300, 0, true, 120_000, true);
  /** Recognizable guest memory: a kv value made of this, repeated. */
  private static final String PATTERN = "ROAM-PAGE-PATTERN-7f3a9c-";

  @TempDir Path dir;
  private final InMemoryOwnership ownership = new InMemoryOwnership();
  private final io.netty.channel.EventLoopGroup group = Transports.group(1);
  private TestPki pki;
  private VmManager src;
  private VmManager dst;
  private MigrationService dstService;
  private RecordingEndpoints endpoints;

  @BeforeEach
  void setUp() throws Exception {
    pki = new TestPki(dir.resolve("pki"));
    endpoints = new RecordingEndpoints();
    src = manager("src");
    dst = manager("dst");
  }

  private VmManager manager(String host) throws Exception {
    return new VmManager(new VmManager.Settings(host, dir.resolve(host + "/mem"), dir.resolve(host + "/run"),
        dir.resolve(host + "/logs"), 512 * MIB, 60_000), new VmLauncher(32 * MIB, "127.0.0.1"), endpoints, ownership);
  }

  private void startDestination(DataPlaneSecurity security) throws Exception {
    startDestination(security, FAST);
  }

  private void startDestination(DataPlaneSecurity security, Liveness liveness) throws Exception {
    dstService = new MigrationService(dst, ownership, "dst", "127.0.0.1", 0, io.roam.agent.cluster.EventSink.NONE,
        security, liveness);
  }

  @AfterEach
  void tearDown() {
    if (dstService != null) {
      dstService.close();
    }
    src.close();
    dst.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private void startVm(String name, String program) {
    ownership.records.put(name, new Ownership.Owner("src", 1, 0));
    src.create(new VmSpec(name, program, 32 * MIB, Map.of(), ""), 1).join();
    src.start(name, 1).join();
  }

  /** A migrator from host "src" presenting {@code security}, to host "dst" at {@code port} (default: the real one). */
  private Migrator migrator(String vm, DataPlaneSecurity security, int port) {
    return new Migrator("m-" + vm, vm, src.describe(vm).spec().memoryBytes(), "src", "127.0.0.1", "dst", VERIFY,
        (spec, epoch) -> {
          Migrator.Prepared p = dstService.prepare(spec, epoch, "src").get(60, TimeUnit.SECONDS);
          return new Migrator.Prepared(p.token(), p.dataHost(), port > 0 ? port : p.dataPort());
        }, ownership, group, security);
  }

  private boolean migrate(String vm, Migrator m) {
    return MigrationRun.migrate(src, vm, m);
  }

  private void assertSourceStillRunsAndDestinationIsEmpty(String vm) {
    assertThat(src.describe(vm).state()).isEqualTo(VmState.RUNNING);
    assertThat(src.describe(vm).migrationId()).isEmpty();
    assertThat(ownership.records.get(vm).host() + " " + ownership.records.get(vm).epoch()).isEqualTo("src 1");
    long hb = src.describe(vm).heartbeat();
    await().atMost(Duration.ofSeconds(5)).until(() -> src.describe(vm).heartbeat() > hb);
    await().atMost(Duration.ofSeconds(15)).until(() -> dst.list().isEmpty());
  }

  // ---- encryption on and off, end to end, with the wire recorded ----

  /** Migrates a kv VM holding a recognizable value through a recording proxy; returns what the source sent. */
  private byte[] migrateThroughProxy(MigrationEncryption source, MigrationEncryption destination) throws Exception {
    startDestination(pki.agent("dst", destination));
    startVm("kv", "kv");
    String value = PATTERN.repeat(350 / PATTERN.length()); // kv values are at most 384 bytes
    try (KvClient c = new KvClient(() -> endpoints.published.get("kv"), Duration.ofSeconds(10));
        RecordingProxy proxy = new RecordingProxy(dstService.dataPort())) {
      c.put("secret", value);
      Migrator m = migrator("kv", pki.agent("src", source), proxy.port());
      assertThat(migrate("kv", m)).as(m.info().error()).isTrue();
      assertThat(dst.describe("kv").state()).isEqualTo(VmState.RUNNING);
      assertThat(c.get("secret")).contains(value);
      return proxy.sourceToDestination();
    }
  }

  @Test
  void withEncryptionTlsTheWireNeverShowsThePages() throws Exception {
    byte[] wire = migrateThroughProxy(MigrationEncryption.TLS, MigrationEncryption.TLS);
    assertThat(wire[0]).as("a TLS handshake record first").isEqualTo((byte) 0x16);
    assertThat(contains(wire, PATTERN.getBytes(StandardCharsets.US_ASCII))).isFalse();
  }

  @Test
  void withEncryptionOffOnBothAgentsThePagesGoInPlaintextAfterTheTlsHandshake() throws Exception {
    byte[] wire = migrateThroughProxy(MigrationEncryption.OFF, MigrationEncryption.OFF);
    assertThat(wire[0]).as("still a TLS handshake first: the peers authenticate").isEqualTo((byte) 0x16);
    assertThat(contains(wire, PATTERN.getBytes(StandardCharsets.US_ASCII))).isTrue();
  }

  @Test
  void oneAgentSayingTlsKeepsThePageStreamEncrypted() throws Exception {
    byte[] wire = migrateThroughProxy(MigrationEncryption.OFF, MigrationEncryption.TLS);
    assertThat(contains(wire, PATTERN.getBytes(StandardCharsets.US_ASCII))).isFalse();
  }

  // ---- identity, not addresses ----

  @Test
  void aSourceWithAnotherHostsAgentCertificateIsRefusedAndNothingChanges() throws Exception {
    startDestination(pki.agent("dst"));
    startVm("vm", "idle");
    // From the source's own address, with the real token, but proving to be agent "mallory".
    Migrator m = migrator("vm", pki.agent("mallory"), 0);
    assertThat(migrate("vm", m)).isFalse();
    assertThat(m.info().error()).contains("not the source host's agent").contains("names agent mallory, not agent src");
    assertSourceStillRunsAndDestinationIsEmpty("vm");
  }

  @Test
  void theSourceRefusesADestinationWhoseCertificateNamesAnotherHost() throws Exception {
    startDestination(pki.agent("mallory"));
    startVm("vm", "idle");
    Migrator m = migrator("vm", pki.agent("src"), 0);
    assertThat(migrate("vm", m)).isFalse();
    assertThat(m.info().error()).contains("is not the destination's").contains("names agent mallory, not agent dst");
    assertSourceStillRunsAndDestinationIsEmpty("vm");
  }

  @Test
  void peersWithoutACertificateFromAnotherCaOrOfAnotherRoleAreRefused() throws Exception {
    startDestination(pki.agent("dst"), Liveness.DEFAULT); // the prepared session waits 30 s for its source
    startVm("vm", "idle");
    String token = dstService.prepare(src.describe("vm").spec(), 2, "src").get(60, TimeUnit.SECONDS).token();
    int port = dstService.dataPort();
    TestPki other = new TestPki(dir.resolve("other-ca"));

    assertThat(refusedAtTheHandshake(port, pki.client(null), token)).as("no certificate").isTrue();
    assertThat(refusedAtTheHandshake(port, other.clientTrusting(pki, other.issue(Role.AGENT, "src")), token))
        .as("an agent certificate for src from another CA").isTrue();
    assertThat(MigrationTest.exchange(port, pki.client(pki.issue(Role.OPERATOR, "src")), MigrationTest.hello(token)))
        .as("a user's certificate named src").contains("names operator src, not agent src");
    assertThat(dst.describe("vm").state()).as("the prepared copy is untouched").isEqualTo(VmState.INCOMING);

    // The real source still migrates afterwards: the refused peers spent nothing of its session.
    Migrator m = new Migrator("m-vm", "vm", 32 * MIB, "src", "127.0.0.1", "dst", VERIFY,
        (spec, epoch) -> new Migrator.Prepared(token, "127.0.0.1", port), ownership, group, pki.agent("src"));
    assertThat(migrate("vm", m)).as(m.info().error()).isTrue();
    assertThat(dst.describe("vm").state()).isEqualTo(VmState.RUNNING);
  }

  /** True when a TLS client gets no frame at all: the handshake or the first read fails. */
  private static boolean refusedAtTheHandshake(int port, SSLContext client, String token) {
    try (Socket s = client.getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(10_000);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      byte[] hello = MigrationTest.hello(token);
      out.writeInt(hello.length);
      out.write(hello);
      out.flush();
      return s.getInputStream().read() == -1;
    } catch (IOException e) {
      return true; // the server's alert
    }
  }

  // ---- hostile peers: silence, huge lengths ----

  @Test
  void aConnectionThatNeverSaysHelloIsClosedAfterTheHelloTimeout() throws Exception {
    startDestination(pki.agent("dst").withTimeouts(Duration.ofMillis(500), Duration.ofMillis(500)));
    int port = dstService.dataPort();
    // Plain TCP, silent: the TLS handshake times out.
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(9_000); // below the 10 s idle timeout: only the handshake's bound can close it
      assertThat(readsEndOfStream(s.getInputStream())).isTrue();
    }
    // A valid agent that completes TLS and sends keepalives (so it is never idle) but no HELLO.
    try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) pki.client(pki.issue(Role.AGENT, "src"))
        .getSocketFactory().createSocket("127.0.0.1", port)) {
      s.startHandshake();
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(9);
      boolean closed = false;
      while (!closed && System.nanoTime() < until) {
        try {
          out.writeInt(1);
          out.writeByte(Frames.KEEPALIVE);
          out.flush();
          Thread.sleep(100);
        } catch (IOException e) {
          closed = true;
        }
      }
      s.setSoTimeout(1_000);
      assertThat(closed || readsEndOfStream(s.getInputStream())).as("closed for want of HELLO").isTrue();
    }
  }

  private static boolean readsEndOfStream(InputStream in) {
    try {
      while (in.read() != -1) {
        // a refusal's ERROR frame or an alert may come first
      }
      return true;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by the peer: closed as well
    }
  }

  @Test
  void aHugeFrameLengthOrACompleteClaimingHugeStateClosesTheConnection() throws Exception {
    startDestination(pki.agent("dst"));
    startVm("vm", "idle");
    SSLContext asSrc = pki.client(pki.issue(Role.AGENT, "src"));
    int port = dstService.dataPort();
    String token;
    Runtime rt = Runtime.getRuntime();

    // A length field of 2 GiB - 1 before anything else: refused by the frame bound, nothing read.
    try (Socket s = asSrc.getSocketFactory().createSocket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      new DataOutputStream(s.getOutputStream()).writeInt(Integer.MAX_VALUE);
      assertThat(lastReply(s)).contains("exceeds");
    }
    // A well-formed COMPLETE header whose runtime state claims 2 GiB - 1 MiB in a frame of 28 bytes.
    token = dstService.prepare(src.describe("vm").spec(), 2, "src").get(60, TimeUnit.SECONDS).token();
    long usedBefore = rt.totalMemory() - rt.freeMemory();
    try (Socket s = asSrc.getSocketFactory().createSocket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      byte[] hello = MigrationTest.hello(token);
      out.writeInt(hello.length);
      out.write(hello);
      out.writeInt(1 + 8 + 8 + 4 + 4);
      out.writeByte(Frames.COMPLETE);
      out.writeLong(0);
      out.writeLong(-1);
      out.writeInt(0);
      out.writeInt(0x7ff00000);
      out.flush();
      assertThat(lastReply(s)).contains("COMPLETE claims 2146435072 bytes of runtime state and carries 0");
    }
    assertThat(rt.totalMemory() - rt.freeMemory() - usedBefore).as("the heap did not take the claimed size")
        .isLessThan(512 * MIB);
    assertSourceStillRunsAndDestinationIsEmpty("vm");
  }

  /** Reads frames until the connection closes; returns the text of the last one. */
  private static String lastReply(Socket s) throws IOException {
    DataInputStream in = new DataInputStream(s.getInputStream());
    String last = "";
    try {
      while (true) {
        byte[] r = new byte[in.readInt()];
        in.readFully(r);
        if (r[0] != Frames.KEEPALIVE) {
          last = r[0] + " " + new String(r, 1, r.length - 1, StandardCharsets.UTF_8);
        }
      }
    } catch (IOException e) {
      return last;
    }
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** A TCP proxy for one connection that keeps a copy of every byte the client sent. */
  private static final class RecordingProxy implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
    private final ByteArrayOutputStream upstream = new ByteArrayOutputStream();
    private final Thread acceptor;
    private volatile Socket client;
    private volatile Socket target;

    RecordingProxy(int targetPort) throws IOException {
      acceptor = new Thread(() -> {
        try {
          client = server.accept();
          target = new Socket("127.0.0.1", targetPort);
          Thread back = new Thread(() -> pump(target, client, null));
          back.setDaemon(true);
          back.start();
          pump(client, target, upstream);
        } catch (IOException e) {
          // closed
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private static void pump(Socket from, Socket to, ByteArrayOutputStream copy) {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n; (n = in.read(buf)) != -1; ) {
          if (copy != null) {
            synchronized (copy) {
              copy.write(buf, 0, n);
            }
          }
          out.write(buf, 0, n);
        }
      } catch (IOException e) {
        // one side closed
      } finally {
        try {
          to.shutdownOutput();
        } catch (IOException ignored) {
          // already closed
        }
      }
    }

    byte[] sourceToDestination() {
      synchronized (upstream) {
        return upstream.toByteArray();
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : new Socket[] {client, target}) {
        if (s != null) {
          s.close();
        }
      }
    }
  }
}
