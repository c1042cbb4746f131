package io.roam.common.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.roam.common.security.JdkTls;
import io.roam.common.security.PkiDirectory;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics endpoint over real HTTPS sockets: who may read it and who is refused. */
class MetricsEndpointTest {
  @TempDir Path dir;
  private PkiDirectory pki;
  private MetricsEndpoint endpoint;

  @BeforeEach
  void start() throws Exception {
    pki = PkiDirectory.open(dir.resolve("pki"), "test");
    PrometheusRegistry registry = new PrometheusRegistry();
    Counter.builder().name("roam_test_scrapes_total").help("a test counter").register(registry).inc();
    TlsFiles server = pki.peer(Role.AGENT, "agent1", List.of("127.0.0.1"));
    endpoint = MetricsEndpoint.start(server, "127.0.0.1", 0, registry).orElseThrow();
  }

  @AfterEach
  void stop() {
    endpoint.close();
  }

  @Test
  void aViewerCertificateOfTheClusterCaReadsTheTextFormat() throws Exception {
    HttpResponse<String> r = get(JdkTls.context(pki.peer(Role.VIEWER, "prometheus", List.of())));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("# HELP roam_test_scrapes_total a test counter").contains("roam_test_scrapes_total 1.0");
  }

  @Test
  void operatorAdminAndMasterCertificatesMayReadToo() throws Exception {
    for (Role role : List.of(Role.OPERATOR, Role.ADMIN, Role.MASTER)) {
      assertThat(get(JdkTls.context(pki.peer(role, "reader-" + role.label(), List.of()))).statusCode())
          .as(role.label()).isEqualTo(200);
    }
  }

  @Test
  void anAgentOrZooKeeperCertificateIsRefusedWith403() throws Exception {
    for (Role role : List.of(Role.AGENT, Role.ZOOKEEPER)) {
      HttpResponse<String> r = get(JdkTls.context(pki.peer(role, "other-" + role.label(), List.of())));
      assertThat(r.statusCode()).as(role.label()).isEqualTo(403);
      assertThat(r.body()).doesNotContain("roam_test_scrapes_total");
    }
  }

  @Test
  void aClientWithoutACertificateIsRefusedInTheHandshake() throws Exception {
    SSLContext trustOnly = trustOnly(pki.caCertificate());
    assertThatThrownBy(() -> get(trustOnly)).isInstanceOf(IOException.class);
  }

  @Test
  void aCertificateOfAnotherCaIsRefusedInTheHandshake() throws Exception {
    PkiDirectory other = PkiDirectory.open(dir.resolve("other-pki"), "other");
    TlsFiles stranger = other.peer(Role.VIEWER, "prometheus", List.of());
    // It trusts our CA (so that it gets as far as presenting its certificate), but ours does not trust it.
    SSLContext context = JdkTls.context(new TrustBoth(stranger, pki.caCertificate()).files());
    assertThatThrownBy(() -> get(context)).isInstanceOf(IOException.class);
  }

  @Test
  void connectionsThatNeverHandshakeDoNotStopScrapes() throws Exception {
    // More silent connections than the endpoint has threads: a scrape must still be answered.
    List<java.net.Socket> silent = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        silent.add(new java.net.Socket("127.0.0.1", endpoint.port()));
      }
      HttpResponse<String> r = get(JdkTls.context(pki.peer(Role.VIEWER, "prometheus", List.of())));
      assertThat(r.statusCode()).isEqualTo(200);
    } finally {
      for (java.net.Socket s : silent) {
        s.close();
      }
    }
  }

  /**
   * A client that starts its handshake and stalls (slow loris) holds one of the endpoint's two
   * threads until the request time limit cuts it: more such clients than threads hold scrapes up
   * for about that limit (a scrape waiting behind them may be cut with them; Prometheus scrapes
   * again at its next interval), never for ever, and the server closes each stalled connection.
   * Without the limit no scrape got through at all.
   */
  @Test
  void connectionsThatStallInTheirHandshakeAreCutAndScrapesGoOn() throws Exception {
    List<java.net.Socket> stalled = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        java.net.Socket s = new java.net.Socket("127.0.0.1", endpoint.port());
        s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01}); // the start of a TLS record, and no more
        s.getOutputStream().flush();
        stalled.add(s);
      }
      Thread.sleep(500); // the server has taken them up
      long limit = io.roam.common.security.HttpServerLimits.MAX_REQUEST_SECONDS;
      long deadline = System.nanoTime() + Duration.ofSeconds(3 * limit).toNanos();
      SSLContext viewer = JdkTls.context(pki.peer(Role.VIEWER, "prometheus", List.of()));
      HttpResponse<String> r = null;
      while (r == null && System.nanoTime() < deadline) {
        try {
          r = get(viewer, Duration.ofSeconds(5));
        } catch (IOException cutOrTimedOut) {
          // a scrape that waited behind the stalled clients: the next one
        }
      }
      assertThat(r).as("a scrape answered within %d s", 3 * limit).isNotNull();
      assertThat(r.statusCode()).isEqualTo(200);
      for (java.net.Socket s : stalled) {
        s.setSoTimeout((int) Duration.ofSeconds(3 * io.roam.common.security.HttpServerLimits.MAX_REQUEST_SECONDS)
            .toMillis());
        int read;
        try {
          // Perhaps a TLS alert first; then the end of the stream (a timeout here fails the test).
          while ((read = s.getInputStream().read()) != -1) {
            continue;
          }
        } catch (java.net.SocketException reset) {
          read = -1;
        }
        assertThat(read).as("the server closed the stalled connection").isEqualTo(-1);
      }
    } finally {
      for (java.net.Socket s : stalled) {
        s.close();
      }
    }
  }

  @Test
  void portMinusOneServesNothing() throws Exception {
    assertThat(MetricsEndpoint.start(pki.peer(Role.AGENT, "agent2", List.of("127.0.0.1")), "127.0.0.1",
        MetricsEndpoint.DISABLED, new PrometheusRegistry())).isEmpty();
  }

  private HttpResponse<String> get(SSLContext context) throws IOException, InterruptedException {
    return get(context, Duration.ofSeconds(10));
  }

  private HttpResponse<String> get(SSLContext context, Duration timeout) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().sslContext(context).connectTimeout(timeout).build();
    return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + endpoint.port() + "/metrics"))
        .timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static SSLContext trustOnly(Path caFile) throws Exception {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    try (var in = java.nio.file.Files.newInputStream(caFile)) {
      trusted.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(null, tmf.getTrustManagers(), null);
    return c;
  }

  /** Another CA's client files whose trust bundle also holds our CA (a PEM file with both). */
  private record TrustBoth(TlsFiles stranger, Path ourCa) {
    TlsFiles files() throws IOException {
      Path bundle = stranger.ca().resolveSibling("both-ca.crt");
      java.nio.file.Files.writeString(bundle, java.nio.file.Files.readString(stranger.ca())
          + java.nio.file.Files.readString(ourCa));
      return TlsFiles.of(bundle, stranger.cert(), stranger.key());
    }
  }
}
