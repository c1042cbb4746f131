package io.roam.master.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.roam.master.scheduler.SchedulerStatus;
import io.roam.proto.HostInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's current state as the leader sees it, read at scrape time: per host its state (as
 * `roamctl host ls` says it), CPU demand and cores, guest memory capacity, committed and free, and
 * VM count; the hosts powered on; DRS's imbalance and target and its open recommendations; DPM's
 * utilization and target. Exported only by the leader (a standby's view would be a stale copy and
 * double every sum); standbys export their own state through {@link MasterMetrics}.
 *
 * <p>Thread-safe if the view is (it reads ZooKeeper and the leader's scheduler).
 */
public final class ClusterCollector implements MultiCollector {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterCollector.class);

  /** Every state a host can be in (HostInfo.state), so that each is present at 0 or 1. */
  static final List<String> HOST_STATES = List.of("connected", "not-responding", "isolated", "failed",
      "entering-maintenance", "maintenance", "entering-standby", "standby", "waking", "disconnected");
  /** States in which a host is not powered on (or not known to be). */
  private static final Set<String> NOT_POWERED_ON = Set.of("standby", "waking", "failed", "disconnected");

  /** What the collector reads. */
  public interface View {
    boolean leading();

    List<HostInfo> hosts() throws Exception;

    Optional<SchedulerStatus> scheduler();
  }

  private static final List<String> NAMES = List.of("roam_host_state", "roam_host_cpu_demand_cores",
      "roam_host_cpu_cores", "roam_host_memory_capacity_bytes", "roam_host_memory_committed_bytes",
      "roam_host_memory_free_bytes", "roam_host_vms", "roam_hosts_powered_on", "roam_drs_imbalance",
      "roam_drs_imbalance_target", "roam_drs_recommendations", "roam_dpm_utilization_ratio",
      "roam_dpm_target_utilization_ratio");

  private final View view;

  public ClusterCollector(View view) {
    this.view = view;
  }

  @Override
  public MetricSnapshots collect() {
    if (!view.leading()) {
      return MetricSnapshots.of();
    }
    List<MetricSnapshot> out = new ArrayList<>();
    try {
      out.addAll(hosts(view.hosts()));
    } catch (Exception e) {
      LOG.debug("metrics: cannot read the hosts: {}", e.toString()); // a scrape shows no host series then
    }
    view.scheduler().ifPresent(s -> out.addAll(scheduler(s)));
    return new MetricSnapshots(out);
  }

  static List<MetricSnapshot> hosts(List<HostInfo> hosts) {
    var state = gauge("roam_host_state", "1 for the host's current state as the leader judges it (connected,"
        + " not-responding, isolated, failed, entering-maintenance, maintenance, entering-standby, standby, waking,"
        + " disconnected), 0 for the others");
    var demand = gauge("roam_host_cpu_demand_cores", "CPU demand of the host's VMs over the last minute, in cores");
    var cores = gauge("roam_host_cpu_cores", "Cores the host offers to VMs");
    var capacity = gauge("roam_host_memory_capacity_bytes", "Guest memory the host offers to VMs");
    var committed = gauge("roam_host_memory_committed_bytes", "Guest memory committed to the host's VMs");
    var free = gauge("roam_host_memory_free_bytes", "Guest memory the host can still commit");
    var vms = gauge("roam_host_vms", "VMs on the host");
    int poweredOn = 0;
    for (HostInfo h : hosts) {
      Labels host = Labels.of("host", h.getName());
      for (String s : HOST_STATES) {
        state.dataPoint(point(Labels.of("host", h.getName(), "state", s), s.equals(h.getState()) ? 1 : 0));
      }
      demand.dataPoint(point(host, h.getCpuDemand()));
      cores.dataPoint(point(host, h.getCores()));
      capacity.dataPoint(point(host, h.getMemoryBytes()));
      committed.dataPoint(point(host, h.getMemoryUsedBytes()));
      free.dataPoint(point(host, Math.max(0, h.getMemoryBytes() - h.getMemoryUsedBytes())));
      vms.dataPoint(point(host, h.getVmCount()));
      if (!NOT_POWERED_ON.contains(h.getState())) {
        poweredOn++;
      }
    }
    return List.of(state.build(), demand.build(), cores.build(), capacity.build(), committed.build(), free.build(),
        vms.build(), gauge("roam_hosts_powered_on", "Hosts powered on (not in standby, waking, failed or"
            + " disconnected)").dataPoint(point(Labels.EMPTY, poweredOn)).build());
  }

  static List<MetricSnapshot> scheduler(SchedulerStatus s) {
    List<MetricSnapshot> out = new ArrayList<>();
    if (s.passTimeMs() == 0) {
      return out; // no pass yet: nothing measured
    }
    out.add(single("roam_drs_imbalance", "Load imbalance DRS measured at its last pass (standard deviation of the"
        + " hosts' normalized load)", s.imbalance()));
    out.add(single("roam_drs_imbalance_target", "The imbalance DRS tolerates at its threshold (moves are"
        + " recommended above it)", s.targetImbalance()));
    out.add(single("roam_drs_recommendations", "Recommendations of the last DRS/DPM pass not yet applied",
        s.recommendations().size()));
    var utilization = gauge("roam_dpm_utilization_ratio", "CPU utilization of the powered-on hosts as DPM saw it,"
        + " over its short (power-on) and long (power-off) windows");
    if (!Double.isNaN(s.utilizationShort())) {
      utilization.dataPoint(point(Labels.of("window", "short"), s.utilizationShort()));
    }
    if (!Double.isNaN(s.utilizationLong())) {
      utilization.dataPoint(point(Labels.of("window", "long"), s.utilizationLong()));
    }
    out.add(utilization.build());
    out.add(single("roam_dpm_target_utilization_ratio", "The utilization DPM aims for (dpm.target-percent / 100)",
        s.dpmTarget()));
    return out;
  }

  private static GaugeSnapshot.Builder gauge(String name, String help) {
    return GaugeSnapshot.builder().name(name).help(help);
  }

  private static GaugeSnapshot single(String name, String help, double value) {
    return gauge(name, help).dataPoint(point(Labels.EMPTY, value)).build();
  }

  private static GaugeSnapshot.GaugeDataPointSnapshot point(Labels labels, double value) {
    return GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
  }

  @Override
  public List<String> getPrometheusNames() {
    return NAMES;
  }
}
