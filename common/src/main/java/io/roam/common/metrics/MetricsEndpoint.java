package io.roam.common.metrics;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.roam.common.security.JdkTls;
import io.roam.common.security.PeerIdentity;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The Prometheus endpoint of a master or an agent: {@code https://ADDRESS:PORT/metrics}, the text
 * exposition format, secure as every other channel of Roam. The server presents the process's own
 * certificate; a client must present one issued by the cluster CA (the TLS handshake refuses
 * anything else), and its role must allow {@link Role#VIEWER} — reading metrics is a viewer's
 * operation, so Prometheus scrapes with a user certificate ({@code roamctl pki issue user
 * prometheus --role viewer}); agent and zookeeper certificates are refused with 403.
 *
 * <p>Port: {@link #DISABLED} (-1) serves nothing; 0 takes any free port, which {@link #port()}
 * tells (the daemons log it and agents publish it in their host record). Thread-safe; close stops it.
 */
public final class MetricsEndpoint implements AutoCloseable {
  /** The port setting that turns the endpoint off. */
  public static final int DISABLED = -1;

  private final HTTPServer server;
  private final ExecutorService threads;

  private MetricsEndpoint(HTTPServer server, ExecutorService threads) {
    this.server = server;
    this.threads = threads;
  }

  /** Starts serving {@code registry}, or returns empty when {@code port} is {@link #DISABLED}. */
  public static Optional<MetricsEndpoint> start(TlsFiles tls, String address, int port, PrometheusRegistry registry)
      throws IOException {
    if (port == DISABLED) {
      return Optional.empty();
    }
    SSLContext context = JdkTls.context(tls);
    io.roam.common.security.HttpServerLimits.install(); // a stalled client is cut, not kept
    // Scrapes are rare (every few seconds) and small: two threads suffice, daemon ones.
    ExecutorService threads = io.roam.common.concurrent.BoundedPools.of("metrics-http", 2);
    try {
      HTTPServer server = HTTPServer.builder().inetAddress(InetAddress.getByName(address)).port(port)
          .registry(registry).executorService(threads).httpsConfigurator(new ClientCertificateRequired(context))
          .authenticator(new ViewerOrAbove()).buildAndStart();
      return Optional.of(new MetricsEndpoint(server, threads));
    } catch (IOException | RuntimeException e) {
      threads.shutdownNow();
      throw new IOException("cannot serve metrics on " + address + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** The port it listens on (the one chosen when asked for 0). */
  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
    threads.shutdownNow();
  }

  /** TLS with the process's certificate; a client certificate is required, not merely asked for. */
  private static final class ClientCertificateRequired extends HttpsConfigurator {
    ClientCertificateRequired(SSLContext context) {
      super(context);
    }

    @Override
    public void configure(HttpsParameters params) {
      SSLParameters p = getSSLContext().getDefaultSSLParameters();
      p.setNeedClientAuth(true);
      params.setSSLParameters(p);
    }
  }

  /**
   * The certificate (already verified against the cluster CA by the handshake) must name a Roam
   * role that may read: viewer, operator, admin or master.
   */
  static final class ViewerOrAbove extends Authenticator {
    @Override
    public Result authenticate(HttpExchange exchange) {
      if (!(exchange instanceof HttpsExchange https)) {
        return new Failure(403);
      }
      Optional<PeerIdentity> peer = PeerIdentity.of(https.getSSLSession());
      if (peer.isEmpty() || !peer.get().role().allows(Role.VIEWER)) {
        return new Failure(403);
      }
      return new Success(new HttpPrincipal(peer.get().name(), peer.get().role().label()));
    }
  }
}
