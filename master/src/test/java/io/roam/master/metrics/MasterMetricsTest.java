package io.roam.master.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.roam.common.metrics.TextFormat;
import io.roam.common.model.EventRecord;
import io.roam.master.scheduler.SchedulerStatus;
import io.roam.proto.HostInfo;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MasterMetricsTest {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final MasterMetrics metrics = new MasterMetrics(registry);

  @Test
  void leadershipSetsTheFlagAndEpochAndCountsTheChanges() {
    metrics.leadershipEstablished(7);
    String text = TextFormat.of(registry);
    assertThat(text).contains("roam_master_leader 1.0").contains("roam_master_leader_epoch 7.0")
        .contains("roam_master_leader_term_changes_total{change=\"established\"} 1.0");
    metrics.leadershipRevoked();
    assertThat(TextFormat.of(registry)).contains("roam_master_leader 0.0").contains("roam_master_leader_epoch 0.0")
        .contains("roam_master_leader_term_changes_total{change=\"revoked\"} 1.0");
  }

  @Test
  void eventsCountByKindAndFeedFencingDrsAndDpmCounters() {
    var count = metrics.eventCounter();
    for (String kind : List.of("host.fenced", "host.fence-failed", "host.fence-failed", "drs.migrate", "host.waking",
        "host.entering-standby", "vm.created")) {
      count.accept(new EventRecord(0, kind, "", "", ""));
    }
    assertThat(TextFormat.of(registry)).contains("roam_ha_fencing_total{outcome=\"fenced\"} 1.0")
        .contains("roam_ha_fencing_total{outcome=\"failed\"} 2.0").contains("roam_drs_moves_total 1.0")
        .contains("roam_dpm_power_actions_total{action=\"power_on\"} 1.0")
        .contains("roam_dpm_power_actions_total{action=\"power_off\"} 1.0")
        .contains("roam_events_total{kind=\"vm.created\"} 1.0");
  }

  @Test
  void haRestartsCountByKindAndPerVmAndTimeFailovers() {
    metrics.failedOver("web", "host1", "host2", 2_500);
    metrics.restartedInPlace("web", "host2");
    assertThat(TextFormat.of(registry)).contains("roam_ha_failovers_total 1.0")
        .contains("roam_ha_failover_seconds_count 1").contains("roam_ha_failover_seconds_sum 2.5")
        .contains("roam_ha_failover_seconds_bucket{le=\"3.0\"} 1").contains("roam_ha_failover_seconds_bucket{le=\"2.0\"} 0")
        .contains("roam_ha_restarts_total{kind=\"failover\"} 1.0").contains("roam_ha_restarts_total{kind=\"in_place\"} 1.0")
        .contains("roam_vm_restarts_total{vm=\"web\"} 2.0");
  }

  @Test
  void theClusterViewIsExportedByTheLeaderOnly() {
    boolean[] leading = {false};
    HostInfo h = HostInfo.newBuilder().setName("host1").setState("maintenance").setCores(4).setCpuDemand(1.5)
        .setMemoryBytes(1000).setMemoryUsedBytes(300).setVmCount(2).build();
    HostInfo off = HostInfo.newBuilder().setName("host2").setState("standby").build();
    SchedulerStatus s = new SchedulerStatus(1, 0.2, 0.1, 3, "full", "manual", 0.4, Double.NaN, List.of(), Map.of(),
        "", 0.63, 0.18, Map.of());
    registry.register(new ClusterCollector(new ClusterCollector.View() {
      @Override
      public boolean leading() {
        return leading[0];
      }

      @Override
      public List<HostInfo> hosts() {
        return List.of(h, off);
      }

      @Override
      public Optional<SchedulerStatus> scheduler() {
        return Optional.of(s);
      }
    }));
    assertThat(TextFormat.of(registry)).doesNotContain("roam_host_").doesNotContain("roam_drs_imbalance");
    leading[0] = true;
    assertThat(TextFormat.of(registry))
        .contains("roam_host_state{host=\"host1\",state=\"maintenance\"} 1.0")
        .contains("roam_host_state{host=\"host1\",state=\"connected\"} 0.0")
        .contains("roam_host_cpu_demand_cores{host=\"host1\"} 1.5")
        .contains("roam_host_memory_free_bytes{host=\"host1\"} 700.0").contains("roam_host_vms{host=\"host1\"} 2.0")
        .contains("roam_hosts_powered_on 1.0").contains("roam_drs_imbalance 0.2").contains("roam_drs_imbalance_target 0.1")
        .contains("roam_dpm_utilization_ratio{window=\"short\"} 0.4").doesNotContain("window=\"long\"")
        .contains("roam_dpm_target_utilization_ratio 0.63");
  }
}
