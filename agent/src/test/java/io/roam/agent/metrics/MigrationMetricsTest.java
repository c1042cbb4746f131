package io.roam.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.roam.agent.migration.MigrationInfo;
import io.roam.agent.migration.MigrationPhases;
import io.roam.agent.migration.MigrationStatus;
import io.roam.common.metrics.TextFormat;
import org.junit.jupiter.api.Test;

class MigrationMetricsTest {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final MigrationMetrics metrics = new MigrationMetrics("host1", registry);

  private static MigrationInfo info(MigrationStatus status) {
    return new MigrationInfo("web-1", "web", "host1", "host2", status, 0, 1_500, 100, 20, 40, 64L << 20, 0, 64L << 20,
        0, 0, 0, 50e6, 3, 0, "", MigrationPhases.NONE);
  }

  @Test
  void everyOutcomeIsCountedAndOnlyCompletedOnesFeedTheHistograms() {
    assertThat(TextFormat.of(registry)).contains("roam_migrations_total{host=\"host1\",outcome=\"completed\"} 0.0");
    metrics.accept(info(MigrationStatus.COMPLETED));
    metrics.accept(info(MigrationStatus.FAILED));
    metrics.accept(info(MigrationStatus.ACTIVE)); // not over: ignored
    String text = TextFormat.of(registry);
    assertThat(text).contains("roam_migrations_total{host=\"host1\",outcome=\"completed\"} 1.0")
        .contains("roam_migrations_total{host=\"host1\",outcome=\"failed\"} 1.0")
        .contains("roam_migrations_total{host=\"host1\",outcome=\"cancelled\"} 0.0")
        .contains("roam_migration_duration_seconds_count{host=\"host1\"} 1")
        .contains("roam_migration_duration_seconds_sum{host=\"host1\"} 1.5")
        .contains("roam_migration_downtime_seconds_sum{host=\"host1\"} 0.04")
        .contains("roam_migration_downtime_seconds_bucket{host=\"host1\",le=\"0.05\"} 1")
        .contains("roam_migration_downtime_seconds_bucket{host=\"host1\",le=\"0.025\"} 0")
        .contains("roam_migration_transferred_bytes_sum{host=\"host1\"} 6.7108864E7")
        .contains("roam_migration_throughput_bytes_per_second_count{host=\"host1\"} 1");
  }
}
