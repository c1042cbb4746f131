package io.roam.master.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.roam.common.model.EventRecord;
import io.roam.master.ha.HaMonitor;
import java.util.function.Consumer;

/**
 * What every master counts as it runs: whether it leads and at which epoch, its leadership
 * changes, the events it appended, and — while it leads — HA's restarts and fencing, DRS moves and
 * DPM power actions. Counters start at 0 in each master process: a new leader's count starts
 * anew, and Prometheus' rate()/increase() treat that as a reset; sum over masters for a total.
 * The cluster's current state (hosts, DRS/DPM) is read at scrape time by {@link ClusterCollector}.
 *
 * <p>Thread-safe (the client's metrics are).
 */
public final class MasterMetrics implements HaMonitor.Observer {
  private final Gauge leader;
  private final Gauge epoch;
  private final Counter termChanges;
  private final Counter events;
  private final Counter drsMoves;
  private final Counter fencing;
  private final Counter powerActions;
  private final Counter failovers;
  private final Histogram failoverTime;
  private final Counter restarts;
  private final Counter vmRestarts;

  public MasterMetrics(PrometheusRegistry registry) {
    leader = Gauge.builder().name("roam_master_leader").help("1 while this master leads the cluster, 0 on a standby")
        .register(registry);
    epoch = Gauge.builder().name("roam_master_leader_epoch")
        .help("The leader epoch of the term this master leads (fencing token of its commands), 0 on a standby")
        .register(registry);
    termChanges = labelled(registry, "roam_master_leader_term_changes_total",
        "Leadership terms this master began (change=established) and ended (change=revoked)", "change",
        "established", "revoked");
    events = Counter.builder().name("roam_events_total")
        .help("Events this master appended to the cluster's event log, by kind").labelNames("kind").register(registry);
    drsMoves = Counter.builder().name("roam_drs_moves_total")
        .help("Live migrations DRS started to balance load or evacuate hosts (while this master led)").register(registry);
    fencing = labelled(registry, "roam_ha_fencing_total",
        "Power fencing of failed hosts by outcome: fenced (powered off and read back off) or failed", "outcome",
        "fenced", "failed");
    powerActions = labelled(registry, "roam_dpm_power_actions_total",
        "Hosts sent to standby (action=power_off, by DPM or an operator) or woken (action=power_on)", "action",
        "power_on", "power_off");
    failovers = Counter.builder().name("roam_ha_failovers_total")
        .help("VMs HA restarted on another host after their host failed").register(registry);
    failoverTime = Histogram.builder().name("roam_ha_failover_seconds")
        .help("Time from this leader seeing a host's ZooKeeper session gone to one of its VMs started on another host"
            + " (add the session timeout for the time since the failure)")
        .classicOnly().classicUpperBounds(0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300).register(registry);
    restarts = labelled(registry, "roam_ha_restarts_total",
        "VM restarts by HA: kind=failover (on another host) or in_place (crashed, hung or stopped by itself)", "kind",
        "failover", "in_place");
    vmRestarts = Counter.builder().name("roam_vm_restarts_total").help("Restarts of each VM by HA, either kind")
        .labelNames("vm").register(registry);
    leader.set(0);
    epoch.set(0);
  }

  /**
   * A counter with one label whose every value is exported at 0 from the start (a series that
   * appears only at its first increment makes {@code rate()} and {@code increase()} miss it).
   */
  private static Counter labelled(PrometheusRegistry registry, String name, String help, String label,
      String... values) {
    Counter c = Counter.builder().name(name).help(help).labelNames(label).register(registry);
    for (String v : values) {
      c.labelValues(v);
    }
    return c;
  }

  /** This master has begun leading at {@code leaderEpoch}. */
  public void leadershipEstablished(long leaderEpoch) {
    epoch.set(leaderEpoch);
    leader.set(1);
    termChanges.labelValues("established").inc();
  }

  /** This master no longer leads. */
  public void leadershipRevoked() {
    leader.set(0);
    epoch.set(0);
    termChanges.labelValues("revoked").inc();
  }

  /** Counts each event appended (for {@code EventLog#onAppend}). */
  public Consumer<EventRecord> eventCounter() {
    return e -> {
      events.labelValues(e.kind()).inc();
      switch (e.kind()) {
        case "drs.migrate" -> drsMoves.inc();
        case "host.fenced" -> fencing.labelValues("fenced").inc();
        case "host.fence-failed" -> fencing.labelValues("failed").inc();
        case "host.waking" -> powerActions.labelValues("power_on").inc();
        case "host.entering-standby" -> powerActions.labelValues("power_off").inc();
        default -> { }
      }
    };
  }

  @Override
  public void failedOver(String vm, String fromHost, String toHost, long millisSinceSeenGone) {
    failovers.inc();
    failoverTime.observe(Math.max(0, millisSinceSeenGone) / 1000.0);
    restarts.labelValues("failover").inc();
    vmRestarts.labelValues(vm).inc();
  }

  @Override
  public void restartedInPlace(String vm, String host) {
    restarts.labelValues("in_place").inc();
    vmRestarts.labelValues(vm).inc();
  }
}
