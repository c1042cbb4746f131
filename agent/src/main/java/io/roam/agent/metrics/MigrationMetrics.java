package io.roam.agent.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.roam.agent.migration.MigrationInfo;
import io.roam.agent.migration.MigrationStatus;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Live migrations this agent sent, counted when each ends (the source agent holds a migration's
 * statistics; the destination only receives): {@code roam_migrations_total{outcome}} for every
 * outcome (completed, failed, cancelled), and for completed ones histograms of the total time,
 * the downtime, the bytes sent and the copy's throughput. Sum over agents for the cluster.
 *
 * <p>Thread-safe (the client's metrics are); {@link #accept} is called once per migration.
 */
public final class MigrationMetrics implements Consumer<MigrationInfo> {
  private static final double MIB = 1024 * 1024;

  private final Counter outcomes;
  private final Histogram duration;
  private final Histogram downtime;
  private final Histogram bytes;
  private final Histogram throughput;

  public MigrationMetrics(String host, PrometheusRegistry registry) {
    outcomes = Counter.builder().name("roam_migrations_total")
        .help("Live migrations this agent sent, by outcome (completed, failed, cancelled)")
        .constLabels(io.prometheus.metrics.model.snapshots.Labels.of("host", host)).labelNames("outcome")
        .register(registry);
    for (MigrationStatus s : MigrationStatus.values()) {
      if (s.isFinal()) {
        outcomes.labelValues(outcome(s)); // each outcome present at 0 from the start
      }
    }
    duration = histogram(host, "roam_migration_duration_seconds",
        "Total time of completed live migrations sent by this agent, from the request to the VM resumed on the destination",
        0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600).register(registry);
    downtime = histogram(host, "roam_migration_downtime_seconds",
        "Downtime of completed live migrations (VM paused on the source to running on the destination)",
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5).register(registry);
    bytes = histogram(host, "roam_migration_transferred_bytes",
        "Guest memory bytes sent by completed live migrations (all rounds)",
        MIB, 4 * MIB, 16 * MIB, 64 * MIB, 256 * MIB, 1024 * MIB, 4096 * MIB, 16384 * MIB, 65536 * MIB).register(registry);
    throughput = histogram(host, "roam_migration_throughput_bytes_per_second",
        "Average copy rate of completed live migrations (bytes sent / copy time, without the destination's setup)",
        MIB, 4 * MIB, 16 * MIB, 64 * MIB, 256 * MIB, 1024 * MIB, 4096 * MIB).register(registry);
  }

  private static Histogram.Builder histogram(String host, String name, String help, double... buckets) {
    return Histogram.builder().name(name).help(help).classicOnly().classicUpperBounds(buckets)
        .constLabels(io.prometheus.metrics.model.snapshots.Labels.of("host", host));
  }

  static String outcome(MigrationStatus s) {
    return s.name().toLowerCase(Locale.ROOT);
  }

  /** A migration this agent sent has ended. */
  @Override
  public void accept(MigrationInfo m) {
    if (!m.status().isFinal()) {
      return;
    }
    outcomes.labelValues(outcome(m.status())).inc();
    if (m.status() == MigrationStatus.COMPLETED) {
      duration.observe(m.totalTimeMillis() / 1000.0);
      downtime.observe(m.downtimeMillis() / 1000.0);
      bytes.observe(m.bytesTransferred());
      throughput.observe(m.throughputBytesPerSecond());
    }
  }
}
