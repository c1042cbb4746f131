package io.roam.it;

import static io.roam.it.LocalCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus endpoints of a real local cluster, scraped over mutual TLS with a viewer
 * certificate (as Prometheus would, `roamctl pki issue user prometheus --role viewer`) and parsed by
 * a real Prometheus text-format parser, while a VM is live-migrated and then failed over by HA:
 * the migration and HA series move by exactly what happened. Waits are on conditions, not times.
 */
class MetricsTest {
  @TempDir Path dir;

  @Test
  void theSeriesMoveWithAMigrationAndAnHaFailover() throws Exception {
    List<String> before = LocalCluster.masterOptions;
    // DRS and DPM pass every second (so that their series exist) but only recommend: nothing moves by itself.
    LocalCluster.masterOptions = List.of("--drs-interval-ms", "1000", "--drs-automation", "manual", "--dpm-level",
        "manual");
    try (LocalCluster c = LocalCluster.start(dir, 3)) {
      LocalCluster.masterOptions = before;
      SSLContext viewer = JdkTls.context(c.user(Role.VIEWER, "prometheus"));
      URI master = URI.create("https://127.0.0.1:" + c.masterMetricsPorts.get("master1") + "/metrics");

      // Refused: no certificate, another CA's certificate, an agent's certificate (not a reader's role).
      assertThatThrownBy(() -> get(master, trustOnly(c))).isInstanceOf(IOException.class);
      TlsFiles stranger = PkiDirectory.open(dir.resolve("other-pki"), "other").peer(Role.VIEWER, "prometheus", List.of());
      assertThatThrownBy(() -> get(master, JdkTls.context(bundleWithOurCa(stranger, c)))).isInstanceOf(IOException.class);
      assertThat(get(master, JdkTls.context(c.user(Role.AGENT, "not-a-reader"))).statusCode()).isEqualTo(403);

      // The leader's view: it leads, its session is connected, it sees every host connected.
      // Awaited, not asserted once: on a loaded machine the session may be reconnecting and a host's
      // heartbeat late. Asserted by name, so that a timeout says which series never got there.
      await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
        PrometheusText m = scrape(master, viewer);
        assertThat(m.value("roam_master_leader")).as("roam_master_leader").isEqualTo(1);
        assertThat(m.value("roam_zookeeper_session_state", "state", "connected")).as("session connected").isEqualTo(1);
        assertThat(m.value("roam_host_state", "host", "host3", "state", "connected")).as("host3 connected").isEqualTo(1);
        assertThat(m.value("roam_drs_imbalance")).as("roam_drs_imbalance").isNotNaN();
      });
      PrometheusText m0 = scrape(master, viewer);
      assertThat(m0.value("roam_master_leader_epoch")).isGreaterThanOrEqualTo(1);
      assertThat(m0.value("roam_host_cpu_cores", "host", "host1")).isGreaterThanOrEqualTo(1);
      assertThat(m0.names()).contains("jvm_memory_used_bytes", "process_cpu_seconds_total");

      // Agents publish their (ephemeral) metrics ports in their host records.
      Map<String, URI> agents = agentEndpoints(c);
      assertThat(agents.keySet()).containsExactlyInAnyOrder("host1", "host2", "host3");

      ok(c.ctl("vm", "create", "web", "--program", "cpu", "--arg", "share=5", "--memory", "16MiB", "--host", "host1",
          "--start"));
      await().atMost(Duration.ofSeconds(30)).until(() ->
          scrape(agents.get("host1"), viewer).value("roam_vm_state", "vm", "web", "state", "running") == 1);
      PrometheusText a1 = scrape(agents.get("host1"), viewer);
      assertThat(a1.value("roam_vm_memory_bytes", "vm", "web")).isEqualTo(16 * 1024 * 1024);
      assertThat(a1.value("roam_agent_vms", "host", "host1")).isEqualTo(1);
      assertThat(a1.value("roam_migrations_total", "outcome", "completed")).isZero();

      // A live migration: the source's completed count and every histogram's count go up by one.
      ok(c.ctl("vm", "migrate", "web", "--to", "host2", "--wait"));
      PrometheusText a1After = scrape(agents.get("host1"), viewer);
      assertThat(a1After.value("roam_migrations_total", "outcome", "completed")).isEqualTo(1);
      assertThat(a1After.value("roam_migrations_total", "outcome", "failed")).isZero();
      for (String h : List.of("roam_migration_duration_seconds", "roam_migration_downtime_seconds",
          "roam_migration_transferred_bytes", "roam_migration_throughput_bytes_per_second")) {
        assertThat(a1After.value(h + "_count")).as(h).isEqualTo(1);
        assertThat(a1After.value(h + "_sum")).as(h).isPositive();
      }
      assertThat(a1After.value("roam_migration_transferred_bytes_sum")).isGreaterThan(0);
      await().atMost(Duration.ofSeconds(30)).until(() ->
          scrape(agents.get("host2"), viewer).value("roam_vm_state", "vm", "web", "state", "running") == 1);
      PrometheusText lint = scrape(master, viewer); // the master's series, linted below
      assertThat(PrometheusText.lint(body(master, viewer)).lines().filter(l -> l.startsWith("roam_")).toList())
          .as("promtool check metrics on roam_ series").isEmpty();
      assertThat(PrometheusText.lint(body(agents.get("host1"), viewer)).lines().filter(l -> l.startsWith("roam_"))
          .toList()).as("promtool check metrics on roam_ series").isEmpty();

      // HA: host2 dies; web runs again elsewhere; the leader counts one failover and one restart of web.
      double failoversBefore = lint.count("roam_ha_failovers_total");
      LocalCluster.kill(c.agents.get("host2"));
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        JsonNode v = c.vm("web");
        return !v.path("host").asText().equals("host2") && v.path("state").asText().equals("running");
      });
      await().atMost(Duration.ofSeconds(30)).until(() -> scrape(master, viewer).count("roam_ha_failovers_total")
          == failoversBefore + 1);
      PrometheusText m1 = scrape(master, viewer);
      assertThat(m1.value("roam_ha_failover_seconds_count")).isEqualTo(1);
      assertThat(m1.value("roam_ha_failover_seconds_sum")).isPositive();
      assertThat(m1.value("roam_ha_restarts_total", "kind", "failover")).isEqualTo(1);
      assertThat(m1.value("roam_vm_restarts_total", "vm", "web")).isEqualTo(1);
      assertThat(m1.count("roam_events_total", "kind", "vm.restarted")).isGreaterThanOrEqualTo(1);
      assertThat(m1.value("roam_host_state", "host", "host2", "state", "connected")).isZero();
      String newHost = c.vm("web").path("host").asText();
      assertThat(scrape(agents.get(newHost), viewer).value("roam_vm_state", "vm", "web", "state", "running")).isEqualTo(1);

      // Every metric the Grafana dashboard queries is one these processes export.
      Set<String> exported = new TreeSet<>(m1.names());
      exported.addAll(scrape(agents.get(newHost), viewer).names());
      exported.addAll(a1After.names());
      assertThat(GrafanaDashboardTest.metricNames(GrafanaDashboardTest.load())).isSubsetOf(exported);
    } finally {
      LocalCluster.masterOptions = before;
    }
  }

  /** Each agent's endpoint, from `roamctl host ls -o json` (agents here take any free port and publish it). */
  private static Map<String, URI> agentEndpoints(LocalCluster c) throws IOException {
    Map<String, URI> out = new HashMap<>();
    JsonNode hosts = new ObjectMapper().readTree(c.ctl("-o", "json", "host", "ls").out());
    for (JsonNode h : hosts.path("hosts")) {
      int port = h.path("metricsPort").asInt();
      assertThat(port).as(h.path("name").asText() + " publishes its metrics port").isPositive();
      out.put(h.path("name").asText(), URI.create("https://" + h.path("address").asText() + ":" + port + "/metrics"));
    }
    return out;
  }

  private static PrometheusText scrape(URI uri, SSLContext context) throws IOException, InterruptedException {
    return PrometheusText.parse(body(uri, context));
  }

  private static String body(URI uri, SSLContext context) throws IOException, InterruptedException {
    HttpResponse<String> r = get(uri, context);
    assertThat(r.statusCode()).as(uri + " answers").isEqualTo(200);
    return r.body();
  }

  private static HttpResponse<String> get(URI uri, SSLContext context) throws IOException, InterruptedException {
    return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(10)).build()
        .send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A client that trusts the cluster CA but has no certificate of its own. */
  private static SSLContext trustOnly(LocalCluster c) throws Exception {
    java.security.KeyStore trusted = java.security.KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    try (var in = java.nio.file.Files.newInputStream(c.pki.caCertificate())) {
      trusted.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext s = SSLContext.getInstance("TLS");
    s.init(null, tmf.getTrustManagers(), null);
    return s;
  }

  /** Another CA's certificate, with our CA added to what it trusts (so it gets as far as presenting it). */
  private static TlsFiles bundleWithOurCa(TlsFiles stranger, LocalCluster c) throws IOException {
    Path bundle = stranger.ca().resolveSibling("both-ca.crt");
    java.nio.file.Files.writeString(bundle, java.nio.file.Files.readString(stranger.ca())
        + java.nio.file.Files.readString(c.pki.caCertificate()));
    return TlsFiles.of(bundle, stranger.cert(), stranger.key());
  }
}
