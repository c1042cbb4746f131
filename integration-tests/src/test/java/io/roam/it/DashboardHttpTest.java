package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.roam.common.security.JdkTls;
import io.roam.common.security.Role;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's HTTP edge on two real masters, without a browser: a client certificate of the
 * cluster CA opens the leader's page directly (a daemon's certificate does not, nor no
 * certificate); a standby redirects to the leader's dashboard; the apply action is refused without
 * the page's header, to a viewer, and to a login link used twice.
 */
class DashboardHttpTest {
  @TempDir Path dir;

  @Test
  void certificatesOpenTheLeadersPageAndAStandbyRedirectsToIt() throws Exception {
    try (LocalCluster c = LocalCluster.startWithExternalZooKeeper(dir, 2, 0)) {
      HttpClient viewer = client(JdkTls.context(c.user(Role.VIEWER, "victor")));
      HttpClient operator = client(JdkTls.context(c.user(Role.OPERATOR, "olga")));
      Map<String, URI> pages = Map.of("master1", page(c, "master1"), "master2", page(c, "master2"));
      // One master serves the page, the other redirects to it (once the election has settled and the
      // leader has published its address).
      String[] leader = new String[1];
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
        int s1 = get(viewer, pages.get("master1")).statusCode();
        int s2 = get(viewer, pages.get("master2")).statusCode();
        leader[0] = s1 == 200 && s2 == 302 ? "master1" : s2 == 200 && s1 == 302 ? "master2" : null;
        return leader[0] != null;
      });
      String standby = leader[0].equals("master1") ? "master2" : "master1";
      HttpResponse<String> redirect = get(viewer, pages.get(standby).resolve("/api/snapshot"));
      assertThat(redirect.statusCode()).isEqualTo(302);
      assertThat(redirect.headers().firstValue("Location")).contains(pages.get(leader[0]).resolve("/api/snapshot")
          .toString());

      URI home = pages.get(leader[0]);
      HttpResponse<String> index = get(viewer, home);
      assertThat(index.body()).contains("<script src=\"/app.js\"");
      assertThat(index.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(v ->
          assertThat(v).contains("default-src 'self'"));
      assertThat(get(viewer, home.resolve("/api/snapshot")).body()).contains("\"leader\"").contains("\"hosts\"");
      assertThat(get(viewer, home.resolve("/api/session")).body()).contains("\"role\":\"viewer\"")
          .contains("\"canApply\":false");
      // A daemon's certificate is no reader's: 401, as a browser without certificate or cookie gets.
      HttpClient agent = client(JdkTls.context(c.user(Role.AGENT, "host9")));
      assertThat(get(agent, home).statusCode()).isEqualTo(401);
      assertThat(get(client(trustOnly(c)), home).statusCode()).isEqualTo(401);
      assertThatThrownBy(() -> get(client(SSLContext.getDefault()), home)).as("the JDK does not trust the cluster CA")
          .isInstanceOf(IOException.class);

      // Apply: a viewer is refused; without the page's header even an operator is; an unknown id is a 409.
      URI apply = home.resolve("/api/apply?id=nope");
      assertThat(post(viewer, apply, true).statusCode()).isEqualTo(403);
      assertThat(post(viewer, apply, true).body()).contains("needs role operator");
      assertThat(post(operator, apply, false).statusCode()).isEqualTo(403);
      assertThat(post(operator, apply, true).statusCode()).isEqualTo(409);
      assertThat(get(operator, apply).statusCode()).isEqualTo(405);

      // A login link works once: the second time it is refused and sets no cookie.
      String link = c.ctlAs(c.user(Role.VIEWER, "victor"), c.masterAddresses(), "dashboard").out().trim();
      HttpClient browser = client(trustOnly(c));
      HttpResponse<String> first = get(browser, URI.create(link));
      assertThat(first.statusCode()).isEqualTo(303);
      assertThat(first.headers().firstValue("Set-Cookie")).hasValueSatisfying(v ->
          assertThat(v).contains("HttpOnly").contains("Secure").contains("SameSite=Strict"));
      HttpResponse<String> second = get(browser, URI.create(link));
      assertThat(second.statusCode()).isEqualTo(401);
      assertThat(second.headers().firstValue("Set-Cookie")).isEmpty();
    }
  }

  private static URI page(LocalCluster c, String master) {
    return URI.create("https://127.0.0.1:" + c.masterDashboardPorts.get(master) + "/");
  }

  /** Trusts the cluster CA, presents no certificate. */
  private static SSLContext trustOnly(LocalCluster c) throws Exception {
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
        javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    int i = 0;
    try (var in = java.nio.file.Files.newInputStream(c.admin().ca())) {
      for (var cert : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("ca" + i++, cert);
      }
    }
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private static HttpClient client(SSLContext context) {
    return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  private static HttpResponse<String> get(HttpClient client, URI uri) throws Exception {
    return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(HttpClient client, URI uri, boolean withHeader) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.noBody());
    if (withHeader) {
      b.header("X-Roam-Action", "apply");
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
