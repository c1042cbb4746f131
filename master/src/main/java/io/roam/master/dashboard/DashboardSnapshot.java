package io.roam.master.dashboard;

import io.roam.proto.DrsStatus;
import io.roam.proto.Event;
import io.roam.proto.HostInfo;
import io.roam.proto.MigrationInfo;
import io.roam.proto.Recommendation;
import io.roam.proto.VmInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The dashboard's JSON document, built from a {@link ClusterView}: a pure function (no I/O, no
 * clock), so that what the page shows is tested with fixtures and the HTTP edge only ships it.
 *
 * <p>The document is the page's whole model (app.js draws only what is here): plain lower-case
 * states, sizes in bytes and loads as fractions of a host's cores, numbers that are unknown (NaN:
 * before the first DRS pass) as {@code null} since JSON has no NaN.
 */
public final class DashboardSnapshot {
  /** Events shown, newest first. */
  static final int EVENTS = 50;
  /** Finished migrations shown under the ones in flight, newest first. */
  static final int RECENT_MIGRATIONS = 5;
  /** Host states in which a host is not powered on (or not known to be), as the metrics count them. */
  static final Set<String> NOT_POWERED_ON = Set.of("standby", "waking", "failed", "disconnected");
  /** Host states HA acts on or is waiting on. */
  static final Set<String> HA_HOST_STATES = Set.of("not-responding", "isolated", "failed");
  /** Event kinds written by HA (monitoring, restarts, fencing). */
  static final Set<String> HA_EVENTS = Set.of("host.fence-failed", "host.fenced", "vm.hung", "vm.incoming-stuck",
      "vm.restart-disabled", "vm.restart-limit", "vm.restart-pending", "vm.restarted");
  private static final Set<String> MIGRATION_FINISHED = Set.of("completed", "failed", "cancelled");

  private DashboardSnapshot() {}

  /** The document for {@code view}; equal views give equal documents. */
  public static Map<String, Object> build(ClusterView view) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("time", view.nowMs());
    doc.put("leader", map("id", view.leader().getMasterId(), "address", view.leader().getLeaderAddress(),
        "epoch", view.leader().getEpoch(), "leading", view.leader().getIsLeader()));

    double demand = 0;
    long cores = 0;
    int poweredOn = 0;
    for (HostInfo h : view.hosts()) {
      if (poweredOn(h)) {
        poweredOn++;
        demand += h.getCpuDemand();
        cores += h.getCores();
      }
    }
    // The band is DRS's own: the loads its last pass saw (hosts that take VMs, over its demand
    // window), whose deviation is the imbalance it reports; without a pass, the hosts' own demand.
    Map<String, Double> drsLoads = view.drs().map(DrsStatus::getHostLoadsMap).orElse(Map.of());
    double meanLoad = !drsLoads.isEmpty()
        ? drsLoads.values().stream().mapToDouble(Double::doubleValue).average().orElse(0)
        : cores == 0 ? 0 : demand / cores;
    double target = view.drs().map(DrsStatus::getTargetImbalance).orElse(Double.NaN);
    doc.put("cluster", map("hosts", view.hosts().size(), "poweredOnHosts", poweredOn, "vms", view.vms().size(),
        "runningVms", view.vms().stream().filter(v -> state(v).equals("running")).count(),
        "meanLoad", num(meanLoad)));
    doc.put("hosts", hosts(view, drsLoads, meanLoad, target));
    doc.put("vms", vms(view));
    doc.put("migrations", migrations(view));
    doc.put("drs", drs(view));
    doc.put("dpm", dpm(view));
    doc.put("ha", ha(view));
    doc.put("events", events(view));
    List<Object> history = new ArrayList<>();
    for (DashboardHistory.Sample s : view.history()) {
      history.add(map("time", s.timeMs(), "imbalance", num(s.imbalance()), "target", num(s.targetImbalance()),
          "poweredOnHosts", s.poweredOnHosts()));
    }
    doc.put("history", history);
    return doc;
  }

  /** Whether any migration in {@code view} still runs: the page then wants a fresh document every second. */
  public static boolean migrationInFlight(ClusterView view) {
    return view.migrations().stream().anyMatch(m -> !MIGRATION_FINISHED.contains(m.getStatus()));
  }

  /** The sample the history keeps for {@code view}. */
  public static DashboardHistory.Sample sample(ClusterView view) {
    int poweredOn = (int) view.hosts().stream().filter(DashboardSnapshot::poweredOn).count();
    return new DashboardHistory.Sample(view.nowMs(), view.drs().map(DrsStatus::getImbalance).orElse(Double.NaN),
        view.drs().map(DrsStatus::getTargetImbalance).orElse(Double.NaN), poweredOn);
  }

  static boolean poweredOn(HostInfo h) {
    return !NOT_POWERED_ON.contains(h.getState());
  }

  private static List<Object> hosts(ClusterView view, Map<String, Double> drsLoads, double meanLoad, double target) {
    List<Object> out = new ArrayList<>();
    for (HostInfo h : view.hosts()) {
      Double drsLoad = drsLoads.get(h.getName()); // absent: DRS does not balance this host now
      double load = drsLoad != null ? drsLoad : h.getCores() == 0 ? 0 : h.getCpuDemand() / h.getCores();
      Map<String, Object> m = map("name", h.getName(), "address", h.getAddress(), "state", h.getState(),
          "poweredOn", poweredOn(h), "cores", h.getCores(), "cpuDemand", num(h.getCpuDemand()), "load", num(load),
          "memoryBytes", h.getMemoryBytes(), "memoryUsedBytes", h.getMemoryUsedBytes(),
          "memoryFraction", num(h.getMemoryBytes() == 0 ? 0 : (double) h.getMemoryUsedBytes() / h.getMemoryBytes()),
          "vms", h.getVmCount(), "note", h.getNote(), "dpmLevel", h.getDpmLevel());
      // DRS balances each host's load towards the cluster's mean; the band is what it tolerates.
      boolean inBalance = drsLoad != null && !Double.isNaN(target);
      m.put("target", !inBalance ? null
          : map("low", num(Math.max(0, meanLoad - target)), "mean", num(meanLoad), "high", num(meanLoad + target)));
      m.put("balanced", !inBalance ? null : Math.abs(load - meanLoad) <= target);
      out.add(m);
    }
    return out;
  }

  private static List<Object> vms(ClusterView view) {
    List<Object> out = new ArrayList<>();
    view.vms().stream().sorted(Comparator.comparing(v -> v.getSpec().getName())).forEach(v -> out.add(map(
        "name", v.getSpec().getName(), "state", state(v), "desired", v.getDesiredState().toLowerCase(Locale.ROOT),
        "host", v.getHost(), "program", v.getSpec().getProgram(), "memoryBytes", v.getSpec().getMemoryBytes(),
        "migration", v.getMigrationId(), "restartPriority", v.getRestartPriority(), "error", v.getStatusError())));
    return out;
  }

  private static Map<String, Object> migrations(ClusterView view) {
    List<Object> inFlight = new ArrayList<>();
    List<MigrationInfo> finished = new ArrayList<>();
    for (MigrationInfo m : view.migrations()) {
      if (MIGRATION_FINISHED.contains(m.getStatus())) {
        finished.add(m);
      } else {
        inFlight.add(migration(m));
      }
    }
    finished.sort(Comparator.comparingLong(MigrationInfo::getStartedAtMs).reversed());
    List<Object> recent = new ArrayList<>();
    finished.stream().limit(RECENT_MIGRATIONS).forEach(m -> recent.add(migration(m)));
    return map("inFlight", inFlight, "recent", recent);
  }

  private static Map<String, Object> migration(MigrationInfo m) {
    return map("id", m.getId(), "vm", m.getVm(), "source", m.getSource(), "destination", m.getDestination(),
        "status", m.getStatus(), "percent", m.getPercent(), "bytesTransferred", m.getBytesTransferred(),
        "bytesRemaining", m.getBytesRemaining(), "bytesTotal", m.getBytesTotal(), "rounds", m.getRounds(),
        "dirtyPagesPerSecond", num(m.getDirtyPagesPerSecond()), "throughputBytesPerSecond",
        num(m.getThroughputBytesPerSecond()), "expectedDowntimeMs", m.getExpectedDowntimeMs(),
        "downtimeMs", m.getDowntimeMs(), "totalTimeMs", m.getTotalTimeMs(), "throttlePercent",
        m.getThrottlePercent(), "startedAt", m.getStartedAtMs(), "error", m.getError());
  }

  private static Map<String, Object> drs(ClusterView view) {
    if (view.drs().isEmpty()) {
      return map("available", false);
    }
    DrsStatus d = view.drs().get();
    List<Object> recs = new ArrayList<>();
    for (Recommendation r : d.getRecommendationsList()) {
      recs.add(map("id", r.getId(), "vm", r.getVm(), "from", r.getFromHost(), "to", r.getToHost(), "kind", r.getKind(),
          "reason", r.getReason()));
    }
    return map("available", true, "imbalance", num(d.getImbalance()), "target", num(d.getTargetImbalance()),
        "threshold", d.getThreshold(), "automation", d.getAutomation(), "lastPass", d.getLastPassTimeMs(),
        "recommendations", recs, "blocked", new java.util.TreeMap<>(d.getBlockedMap()));
  }

  private static Map<String, Object> dpm(ClusterView view) {
    List<Object> standby = new ArrayList<>();
    view.hosts().stream().filter(h -> Set.of("standby", "entering-standby", "waking").contains(h.getState()))
        .forEach(h -> standby.add(map("name", h.getName(), "state", h.getState())));
    if (view.drs().isEmpty()) {
      return map("available", false, "hosts", standby);
    }
    DrsStatus d = view.drs().get();
    return map("available", true, "level", d.getDpmLevel(), "utilizationShort", num(d.getUtilizationShort()),
        "utilizationLong", num(d.getUtilizationLong()), "targetPercent", d.getDpmTargetPercent(), "tolerancePercent",
        d.getDpmTolerancePercent(), "note", d.getDpmNote(), "hosts", standby);
  }

  private static Map<String, Object> ha(ClusterView view) {
    List<Object> troubled = new ArrayList<>();
    view.hosts().stream().filter(h -> HA_HOST_STATES.contains(h.getState()))
        .forEach(h -> troubled.add(map("name", h.getName(), "state", h.getState(), "note", h.getNote())));
    long protectedVms = view.vms().stream().filter(v -> !v.getRestartPriority().equals("disabled")).count();
    List<Object> recent = new ArrayList<>();
    newestFirst(view.events()).stream().filter(e -> HA_EVENTS.contains(e.getKind())).limit(5)
        .forEach(e -> recent.add(event(e)));
    return map("enabled", view.haEnabled(), "hostFailures", view.haHostFailures(), "protectedVms", protectedVms,
        "troubledHosts", troubled, "recent", recent);
  }

  private static List<Object> events(ClusterView view) {
    List<Object> out = new ArrayList<>();
    newestFirst(view.events()).stream().limit(EVENTS).forEach(e -> out.add(event(e)));
    return out;
  }

  private static List<Event> newestFirst(List<Event> events) {
    List<Event> l = new ArrayList<>(events);
    l.sort(Comparator.comparingLong(Event::getSeq).reversed());
    return l;
  }

  private static Map<String, Object> event(Event e) {
    return map("seq", e.getSeq(), "time", e.getTimeMs(), "kind", e.getKind(), "vm", e.getVm(), "host", e.getHost(),
        "message", e.getMessage());
  }

  /** "VM_STATE_RUNNING" → "running". */
  static String state(VmInfo v) {
    return v.getState().name().replaceFirst("^VM_STATE_", "").toLowerCase(Locale.ROOT);
  }

  /** A finite number rounded to 4 decimals, or null (JSON has no NaN). */
  static Double num(double d) {
    return Double.isFinite(d) ? Math.round(d * 10_000) / 10_000.0 : null;
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
