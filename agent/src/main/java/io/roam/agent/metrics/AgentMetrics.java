package io.roam.agent.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.roam.agent.migration.MigrationInfo;
import io.roam.agent.vm.VmState;
import io.roam.agent.vm.VmView;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * What an agent exports about itself and the VMs it runs, read at scrape time from the VM manager
 * (no copy to keep in step): per VM its state (1 for the current one, 0 for the others), CPU time,
 * dirty rate and memory; for the host its VM count, guest memory capacity, committed and free, and
 * its cores; migrations it is sending now. Every series carries {@code host}, so a dashboard
 * groups without relabelling. The leader master exports the cluster's view of hosts (state, demand)
 * under {@code roam_host_*}; these are the agent's own, under {@code roam_agent_*} and {@code roam_vm_*}.
 *
 * <p>Thread-safe: the suppliers are (VmManager.list and MigrationService.list are).
 */
public final class AgentMetrics implements MultiCollector {
  /** What the collector reads: this host's VMs, its memory and cores, and its outgoing migrations. */
  public record Source(String host, int cores, Supplier<List<VmView>> vms, Supplier<Long> memoryCapacity,
      Supplier<Long> memoryCommitted, Supplier<List<MigrationInfo>> migrations) {}

  private static final double PAGE_BYTES = 4096;
  private final Source source;

  public AgentMetrics(Source source) {
    this.source = source;
  }

  public static void register(Source source, PrometheusRegistry registry) {
    registry.register(new AgentMetrics(source));
  }

  @Override
  public MetricSnapshots collect() {
    List<VmView> vms = source.vms().get();
    Labels host = Labels.of("host", source.host());
    var state = GaugeSnapshot.builder().name("roam_vm_state")
        .help("1 for the VM's current state on this agent (created, starting, running, paused, stopping, stopped,"
            + " crashed, incoming), 0 for the others");
    var cpu = CounterSnapshot.builder().name("roam_vm_cpu_seconds")
        .help("CPU time the VM's process has used since it last started on this host");
    var dirty = GaugeSnapshot.builder().name("roam_vm_dirty_bytes_per_second")
        .help("Rate at which the VM writes guest memory (sampled dirty pages x 4 KiB); 0 while it migrates");
    var memory = GaugeSnapshot.builder().name("roam_vm_memory_bytes").help("Guest memory of the VM");
    for (VmView v : vms) {
      String vm = v.spec().name();
      for (VmState s : VmState.values()) {
        state.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
            .labels(Labels.of("host", source.host(), "vm", vm, "state", s.name().toLowerCase(Locale.ROOT)))
            .value(s == v.state() ? 1 : 0).build());
      }
      Labels labels = Labels.of("host", source.host(), "vm", vm);
      cpu.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels).value(v.cpuNanos() / 1e9).build());
      dirty.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels)
          .value(v.dirtyPagesPerSecond() * PAGE_BYTES).build());
      memory.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels)
          .value(v.spec().memoryBytes()).build());
    }
    long capacity = source.memoryCapacity().get();
    long committed = source.memoryCommitted().get();
    long migrating = source.migrations().get().stream().filter(m -> !m.status().isFinal()).count();
    return MetricSnapshots.of(state.build(), cpu.build(), dirty.build(), memory.build(),
        gauge("roam_agent_vms", "VMs on this agent, whatever their state", host, vms.size()),
        gauge("roam_agent_memory_capacity_bytes", "Guest memory this agent offers to VMs (agent.memory)", host,
            capacity),
        gauge("roam_agent_memory_committed_bytes", "Guest memory committed to the VMs on this agent", host, committed),
        gauge("roam_agent_memory_free_bytes", "Guest memory this agent can still commit", host,
            Math.max(0, capacity - committed)),
        gauge("roam_agent_cpu_cores", "Cores this agent offers to VMs (agent.cores)", host, source.cores()),
        gauge("roam_agent_migrations_in_progress", "Live migrations this agent is sending now", host, migrating));
  }

  private static GaugeSnapshot gauge(String name, String help, Labels labels, double value) {
    return GaugeSnapshot.builder().name(name).help(help)
        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(value).build()).build();
  }

  @Override
  public List<String> getPrometheusNames() {
    return List.of("roam_vm_state", "roam_vm_cpu_seconds", "roam_vm_dirty_bytes_per_second", "roam_vm_memory_bytes",
        "roam_agent_vms", "roam_agent_memory_capacity_bytes", "roam_agent_memory_committed_bytes",
        "roam_agent_memory_free_bytes", "roam_agent_cpu_cores", "roam_agent_migrations_in_progress");
  }
}
