package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/grafana/roam-dashboard.json is a Grafana dashboard that parses, whose panels each query
 * Prometheus through the dashboard's data source variable, with unique ids. That every metric it
 * names is exported is checked against real scrapes in {@link MetricsTest}.
 */
class GrafanaDashboardTest {
  static final Path DASHBOARD = Path.of("").toAbsolutePath().getParent().resolve("deploy/grafana/roam-dashboard.json");
  /** Metric names in a PromQL expression: Roam's and the JVM instrumentation's prefixes. */
  private static final Pattern METRIC = Pattern.compile("\\b((?:roam|jvm|process)_[a-z0-9_]+)\\b");

  static JsonNode load() throws IOException {
    return new ObjectMapper().readTree(DASHBOARD.toFile());
  }

  static List<String> expressions(JsonNode dashboard) {
    List<String> out = new ArrayList<>();
    dashboard.path("panels").forEach(p -> p.path("targets").forEach(t -> out.add(t.path("expr").asText())));
    return out;
  }

  static Set<String> metricNames(JsonNode dashboard) {
    Set<String> names = new TreeSet<>();
    for (String expr : expressions(dashboard)) {
      Matcher m = METRIC.matcher(expr);
      while (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  @Test
  void theDashboardParsesAndEveryPanelQueriesPrometheus() throws IOException {
    JsonNode d = load();
    assertThat(d.path("uid").asText()).isEqualTo("roam-cluster");
    assertThat(d.path("templating").path("list").get(0).path("type").asText()).isEqualTo("datasource");
    Set<Integer> ids = new HashSet<>();
    int graphs = 0;
    for (JsonNode p : d.path("panels")) {
      assertThat(ids.add(p.path("id").asInt())).as("panel id %s unique", p.path("id")).isTrue();
      assertThat(p.path("title").asText()).isNotBlank();
      if (p.path("type").asText().equals("row")) {
        continue;
      }
      graphs++;
      assertThat(p.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
      assertThat(p.path("targets")).as(p.path("title").asText()).isNotEmpty();
      p.path("targets").forEach(t -> assertThat(t.path("expr").asText()).isNotBlank());
    }
    assertThat(graphs).isGreaterThan(10);
  }

  @Test
  void itCoversEveryAreaOfTheIssue() throws IOException {
    assertThat(metricNames(load())).contains("roam_host_cpu_demand_cores", "roam_host_memory_committed_bytes",
        "roam_host_memory_free_bytes", "roam_host_vms", "roam_host_state", "roam_vm_cpu_seconds_total",
        "roam_vm_dirty_bytes_per_second", "roam_vm_state", "roam_vm_restarts_total", "roam_migrations_total",
        "roam_migration_duration_seconds_bucket", "roam_migration_downtime_seconds_bucket",
        "roam_migration_transferred_bytes_sum", "roam_migration_throughput_bytes_per_second_bucket",
        "roam_ha_failovers_total", "roam_ha_failover_seconds_bucket", "roam_ha_fencing_total", "roam_drs_imbalance",
        "roam_drs_imbalance_target", "roam_drs_moves_total", "roam_drs_recommendations", "roam_hosts_powered_on",
        "roam_master_leader_epoch", "roam_master_leader_term_changes_total", "roam_zookeeper_session_state");
  }
}
