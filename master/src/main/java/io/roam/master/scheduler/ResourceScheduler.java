package io.roam.master.scheduler;

import io.roam.master.dpm.DemandHistory;
import io.roam.master.dpm.DpmLevel;
import io.roam.master.dpm.DpmPlan;
import io.roam.master.dpm.DpmPlanner;
import io.roam.master.dpm.DpmSettings;
import io.roam.master.dpm.PowerAction;
import io.roam.master.drs.Automation;
import io.roam.master.drs.DrsPlan;
import io.roam.master.drs.DrsPlanner;
import io.roam.master.drs.DrsSettings;
import io.roam.master.drs.Move;
import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostMode;
import io.roam.master.events.EventLog;
import io.roam.master.hosts.LoadHistory;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.HostControl;
import io.roam.master.inventory.HostEvent;
import io.roam.master.inventory.HostTransition;
import io.roam.master.inventory.HostTransitions;
import io.roam.master.inventory.NotLeaderException;
import io.roam.master.power.PowerControl;
import io.roam.master.power.PowerDriver;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's DRS and DPM executor. Every couple of seconds it does the bookkeeping (finished
 * migrations, emptied hosts entering maintenance or standby, woken hosts that never came back)
 * and carries out mandatory moves (evacuations, broken rules); every {@code intervalMs} it runs
 * the full DRS pass and DPM. Automatic moves start live migrations, automatic power actions go
 * through the hosts' power drivers; the rest wait as recommendations for `roamctl drs apply`.
 * The planners are pure; everything with side effects is here.
 *
 * <p>Host modes change only through {@link ClusterStore#transitionHost} (the transition table,
 * by compare-and-set): a change the table refuses because an operator or the host monitor changed
 * the host first is logged and dropped, never forced. Through the leader's term-bound store, every
 * write fails once the term is over, and every side effect outside ZooKeeper (powering a host off
 * or on, starting a migration) comes right after {@link ClusterStore#checkTerm}: an ended term
 * acts on nothing, and its NotLeaderException ends the pass, never taken for a failed action.
 *
 * <p>Time: deadlines (the wake timeout, the pass interval, the give-up on a move) are on this
 * process's monotonic clock; the wall clock is used only where it must match the heartbeats'
 * receive times (demand) and for times shown to operators.
 *
 * <p>Thread-safety: passes and {@link #apply(List, boolean)} are serialized by this object's lock;
 * {@link #wake} may run beside a pass (its writes are compare-and-set like every other).
 */
public final class ResourceScheduler {
  private static final Logger LOG = LoggerFactory.getLogger(ResourceScheduler.class);
  static final long TICK_MS = 2_000;
  /** DemandHistory samples: each is the cluster's demand over this last stretch. */
  private static final long SAMPLE_WINDOW_MS = 10_000;

  /**
   * @param drs cluster DRS settings (per-VM overrides are read from the VM records)
   * @param dpm cluster DPM settings (hosts without a power driver are left out)
   */
  public record Settings(DrsSettings drs, DpmSettings dpm, long intervalMs, long wakeTimeoutMs) {
    /** These settings with the run-time overrides applied (they were checked when stored). */
    public Settings with(io.roam.master.inventory.SchedulerOverrides o) {
      DrsSettings d = drs;
      if (o.threshold() != null) {
        d = d.withThreshold(o.threshold());
      }
      if (o.automation() != null) {
        d = d.withAutomation(Automation.valueOf(o.automation().toUpperCase(Locale.ROOT)));
      }
      DpmSettings p = dpm;
      if (o.dpmLevel() != null) {
        p = p.withLevel(DpmLevel.valueOf(o.dpmLevel().toUpperCase(Locale.ROOT)));
      }
      if (o.dpmTargetPercent() != null || o.dpmTolerancePercent() != null) {
        p = p.withBand(o.dpmTargetPercent() != null ? o.dpmTargetPercent() / 100.0 : p.target(),
            o.dpmTolerancePercent() != null ? o.dpmTolerancePercent() / 100.0 : p.tolerance());
      }
      return new Settings(d, p, intervalMs, wakeTimeoutMs);
    }
  }

  private record InFlightMove(String id, String vm, String from, String to, long startedMs, long startedMonoMs) {}

  private static final long MOVE_GIVE_UP_MS = 30 * 60_000L;

  private final ClusterStore store;
  private final SnapshotReader reader;
  private final LoadHistory load;
  private final MigrationStarter migrations;
  private final PowerControl power;
  private final EventLog events;
  private final Settings configured;
  private Settings settings;
  private final Clock clock;
  private final LongSupplier monotonicMs;
  /** Host -> when (monotonic) this term first saw it waking: the wake timeout counts from there. */
  private final Map<String, Long> wakingSince = new ConcurrentHashMap<>();
  private final Map<String, InFlightMove> inFlight = new ConcurrentHashMap<>();
  private final Map<String, Long> lastMoved = new HashMap<>();
  private final Map<String, String> reportedBlocked = new HashMap<>();
  private DemandHistory demand = DemandHistory.empty();
  private long lastFullPass;
  private volatile SchedulerStatus status = SchedulerStatus.NONE;
  private final Map<String, Recommendation> recommendations = new ConcurrentHashMap<>();
  private int nextRecommendation = 1;

  public ResourceScheduler(ClusterStore store, SnapshotReader reader, LoadHistory load, MigrationStarter migrations,
      PowerControl power, EventLog events, Settings settings, Clock clock, LongSupplier monotonicMs) {
    this.store = store;
    this.reader = reader;
    this.load = load;
    this.migrations = migrations;
    this.power = power;
    this.events = events;
    this.configured = settings;
    this.settings = settings;
    this.clock = clock;
    this.monotonicMs = monotonicMs;
    this.lastFullPass = monotonicMs.getAsLong(); // the first full pass waits one interval: demand needs history
  }

  /** How often {@link #tickSafely} should run: the bookkeeping period, or the interval if shorter. */
  public long tickMs() {
    return Math.min(TICK_MS, settings.intervalMs());
  }

  /** Throws IllegalArgumentException when these overrides make unusable settings. */
  public void check(io.roam.master.inventory.SchedulerOverrides overrides) {
    configured.with(overrides);
  }

  public SchedulerStatus status() {
    return status;
  }

  /** One pass; a failure is logged and the next pass tries again. */
  public void tickSafely() {
    try {
      tick();
    } catch (NotLeaderException e) {
      LOG.info("scheduler pass stopped: {}", e.getMessage()); // the term's loops are being shut down
    } catch (Exception e) {
      LOG.warn("scheduler pass failed: {}", e.toString());
    }
  }

  synchronized void tick() throws Exception {
    long now = clock.millis();
    long mono = monotonicMs.getAsLong();
    settings = configured.with(store.schedulerOverrides());
    inFlight.values().removeIf(m -> migrations.finished(m.id(), m.from())
        || mono - m.startedMonoMs() > MOVE_GIVE_UP_MS);
    demand = demand.with(now, load.totalDemand(now, SAMPLE_WINDOW_MS), settings.dpm().historyToKeepMs());
    SnapshotReader.Read read = reader.read(now, lastMoved, inFlights(), List.of());
    ClusterSnapshot snapshot = read.snapshot();
    finishHostTransitions(snapshot, read, now, mono);

    boolean full = mono - lastFullPass >= settings.intervalMs();
    DrsSettings drs = settings.drs().withVmOverrides(overrides(read));
    Set<String> standing = new HashSet<>();
    recommendations.values().forEach(r -> standing.add(DrsPlanner.standing(r.vm(), r.from(), r.to())));
    DrsPlan plan = DrsPlanner.plan(snapshot, full ? drs : drs.withThreshold(1), standing);
    List<Recommendation> recs = new ArrayList<>();
    for (Move m : plan.moves()) {
      if (m.automatic()) {
        startMove(m.vm(), m.from(), m.to(), m.reason(), now);
      } else if (full) {
        recs.add(new Recommendation("", m.kind().name().toLowerCase(Locale.ROOT), m.vm(), m.from(), m.to(), m.reason()));
      }
    }
    reportBlocked(plan.blocked());
    DpmPlan dpmPlan = null;
    if (full) {
      lastFullPass = mono;
      dpmPlan = runDpm(snapshot, read, recs, now);
      // A recommendation that the pass makes again keeps its id (its reason may change): an operator
      // who read `drs recs`, or a dashboard page a pass behind, applies what they saw. New ids only
      // for new moves; a recommendation not made again is gone.
      Map<String, String> previousIds = new HashMap<>();
      recommendations.values().forEach(r -> previousIds.put(r.sameAs(), r.id()));
      recommendations.clear();
      for (Recommendation r : recs) {
        String id = previousIds.remove(r.sameAs());
        if (id == null) {
          id = "r" + nextRecommendation++;
        }
        recommendations.put(id, new Recommendation(id, r.kind(), r.vm(), r.from(), r.to(), r.reason()));
      }
    }
    SchedulerStatus before = status;
    status = new SchedulerStatus(now, plan.imbalanceBefore(), drs.targetImbalance(), drs.threshold(),
        drs.automation().name().toLowerCase(Locale.ROOT), settings.dpm().level().name().toLowerCase(Locale.ROOT),
        dpmPlan != null ? dpmPlan.powerOnUtilization() : before.utilizationShort(),
        dpmPlan != null ? dpmPlan.powerOffUtilization() : before.utilizationLong(),
        List.copyOf(new java.util.TreeMap<>(recommendations).values()), plan.blocked(),
        dpmPlan != null ? dpmPlan.note() : before.dpmNote(), settings.dpm().target(), settings.dpm().tolerance(),
        plan.hostLoads());
  }

  private List<ClusterSnapshot.InFlight> inFlights() {
    return inFlight.values().stream().map(m -> new ClusterSnapshot.InFlight(m.vm(), m.from(), m.to())).toList();
  }

  private static Map<String, Automation> overrides(SnapshotReader.Read read) {
    Map<String, Automation> out = new HashMap<>();
    read.vms().forEach((name, rec) -> {
      if (rec.policy().ft()) {
        // A VM under FT is busy with its protection (a migration that never ends): DRS leaves it
        // where it is, and says so when maintenance would need it moved (turn FT off first).
        out.put(name, Automation.DISABLED);
      } else if (!rec.policy().drsAutomation().isEmpty()) {
        out.put(name, Automation.valueOf(rec.policy().drsAutomation().toUpperCase(Locale.ROOT)));
      }
    });
    return out;
  }

  // ---- moves ----

  private boolean startMove(String vm, String from, String to, String reason, long now) throws Exception {
    store.checkTerm(); // a migration is no write of ours: only the leader's term may start one
    try {
      String id = migrations.start(vm, to);
      inFlight.put(vm, new InFlightMove(id, vm, from, to, now, monotonicMs.getAsLong()));
      lastMoved.put(vm, now);
      events.append("drs.migrate", vm, from, "moving to " + to + " (" + id + "): " + reason);
      return true;
    } catch (NotLeaderException e) {
      throw e;
    } catch (Exception e) {
      LOG.info("DRS move of {} to {} not started: {}", vm, to, e.getMessage());
      return false;
    }
  }

  private void reportBlocked(Map<String, String> blocked) {
    reportedBlocked.keySet().retainAll(blocked.keySet());
    blocked.forEach((vm, why) -> {
      if (!why.equals(reportedBlocked.put(vm, why))) {
        events.append("drs.blocked", vm, null, why);
      }
    });
  }

  // ---- hosts entering maintenance or standby, and waking ----

  private void finishHostTransitions(ClusterSnapshot s, SnapshotReader.Read read, long now, long mono)
      throws Exception {
    Map<String, HostControl> controls = read.controls();
    Set<String> busy = new HashSet<>();
    s.vms().forEach(v -> busy.add(v.host()));
    // A host holding an FT secondary is not empty either: FT's planner moves the secondary off a
    // host that takes no VMs, and only then may the host be parked (a powered-off secondary would
    // leave its VM unprotected for as long as a new one takes to seed) or called in maintenance.
    busy.addAll(read.secondaries().keySet());
    inFlight.values().forEach(m -> {
      busy.add(m.from());
      busy.add(m.to());
    });
    for (Map.Entry<String, HostControl> e : controls.entrySet()) {
      String host = e.getKey();
      HostControl c = e.getValue();
      if (c.mode() != HostMode.WAKING) {
        wakingSince.remove(host);
      }
      if (c.mode() == HostMode.ENTERING_MAINTENANCE && !busy.contains(host)) {
        if (transition(host, HostEvent.EVACUATED, now)) {
          events.append("host.maintenance", null, host,
              "every VM and FT secondary has left; the host is in maintenance mode");
        }
      } else if (c.mode() == HostMode.ENTERING_STANDBY && !busy.contains(host)) {
        powerOff(host, now);
      } else if (c.mode() == HostMode.WAKING) {
        // Counted from when this term first saw it waking (a new leader waits the whole timeout
        // again): a time written by another process's clock is never compared with ours.
        long waking = mono - wakingSince.computeIfAbsent(host, k -> mono);
        if (waking > settings.wakeTimeoutMs() && transition(host, HostEvent.WAKE_FAILED, now)) {
          events.append("host.wake-failed", null, host, "powered on at least " + waking / 1000 + " s ago but its"
              + " agent never came back; DPM leaves it alone until `roamctl host clear-wake-failed " + host + "`");
        }
      }
    }
  }

  /**
   * Applies {@code event} to the host by compare-and-set; false (and a log line) when the table
   * refuses it, e.g. because an operator or the host monitor changed the host since we read it.
   */
  private boolean transition(String host, HostEvent event, long now) throws Exception {
    HostTransition t = store.transitionHost(host, event, now);
    if (t.refused()) {
      LOG.info("host {}: {} not applied: {}", host, event, t.refusal());
      return false;
    }
    return t.changes();
  }

  private void powerOff(String host, long now) throws Exception {
    Optional<PowerDriver> driver = power.driver(host);
    if (driver.isEmpty()) {
      if (transition(host, HostEvent.STANDBY_FAILED, now)) {
        events.append("host.standby-failed", null, host, "empty, but it has no power driver; it stays on");
      }
      return;
    }
    store.checkTerm(); // powering off writes nothing first: only the leader's term may do it
    try {
      driver.get().powerOff();
      // Nothing but this scheduler moves a host out of entering-standby, and it is serialized:
      // the table accepts this unless the term is over (then the write throws).
      transition(host, HostEvent.POWERED_OFF, now);
      events.append("host.standby", null, host,
          "every VM and FT secondary has left; powered off through " + driver.get());
    } catch (NotLeaderException e) {
      throw e; // powered off, but the term ended before the record said so: the next leader sees it
    } catch (Exception e) {
      events.append("host.standby-failed", null, host, "power off through " + driver.get() + " failed: "
          + e.getMessage() + "; retrying");
    }
  }

  // ---- DPM ----

  private DpmPlan runDpm(ClusterSnapshot s, SnapshotReader.Read read, List<Recommendation> recs, long now)
      throws Exception {
    Map<String, DpmLevel> hostLevels = new HashMap<>(settings.dpm().hostOverrides());
    // A host that holds stopped VMs stays on: they are not evacuated, and an agent that powers off
    // forgets its VMs (see the README's known limits).
    Set<String> holdsStopped = new HashSet<>();
    read.vms().forEach((name, rec) -> {
      if (rec.desiredState() != io.roam.common.model.VmRecord.DesiredState.RUNNING && read.owners().containsKey(name)) {
        holdsStopped.add(read.owners().get(name).value().host());
      }
    });
    Set<String> wakeFailed = new HashSet<>();
    for (String host : read.hosts().keySet()) {
      String own = read.controls().get(host).dpm();
      if (!own.isEmpty()) {
        hostLevels.put(host, DpmLevel.valueOf(own.toUpperCase(Locale.ROOT)));
      }
      if (store.powerDriver(host).isEmpty() || holdsStopped.contains(host)) {
        hostLevels.put(host, DpmLevel.OFF); // cannot be powered, or would lose stopped VMs: DPM leaves it on
      }
      if (read.controls().get(host).wakeFailed()) {
        wakeFailed.add(host);
      }
    }
    DpmSettings dpm = settings.dpm().withHostOverrides(hostLevels);
    DpmPlan plan = DpmPlanner.plan(s, demand, dpm, wakeFailed);
    for (PowerAction a : plan.actions()) {
      if (a.automatic()) {
        apply(a, now);
      } else {
        recs.add(new Recommendation("", a.kind() == PowerAction.Kind.POWER_ON ? "power-on" : "power-off", "", a.host(),
            "", a.reason()));
      }
    }
    return plan;
  }

  private void apply(PowerAction a, long now) throws Exception {
    if (a.kind() == PowerAction.Kind.POWER_OFF) {
      if (transition(a.host(), HostEvent.DPM_ENTER_STANDBY, now)) {
        events.append("host.entering-standby", null, a.host(), a.reason());
      }
    } else if (store.hostControl(a.host()).mode() == HostMode.ENTERING_STANDBY) {
      if (transition(a.host(), HostEvent.DPM_CANCEL_STANDBY, now)) {
        events.append("host.connected", null, a.host(), a.reason());
      }
    } else {
      wake(a.host(), HostEvent.WAKE, now, a.reason());
    }
  }

  /**
   * Powers a standby host on ({@code event}: WAKE for DPM, OPERATOR_POWER_ON for an operator); the
   * host monitor makes it connected when its agent is back. Returns the refusal when the host's
   * mode does not allow it (nothing is powered then), else null.
   */
  public String wake(String host, HostEvent event, long now, String reason) throws Exception {
    HostTransition allowed = HostTransitions.apply(store.hostControl(host), event, now);
    if (allowed.refused()) {
      return allowed.refusal();
    }
    Optional<PowerDriver> driver = power.driver(host);
    if (driver.isPresent()) {
      store.checkTerm(); // powering on writes nothing first: only the leader's term may do it
    }
    try {
      if (driver.isEmpty()) {
        throw new IllegalStateException("it has no power driver");
      }
      driver.get().powerOn();
    } catch (Exception e) {
      if (transition(host, HostEvent.WAKE_FAILED, now)) {
        events.append("host.wake-failed", null, host, "power on failed: " + e.getMessage()
            + "; DPM leaves it alone until cleared");
      }
      return null;
    }
    wakingSince.put(host, monotonicMs.getAsLong());
    // The agent may already be back (the host monitor made it connected): the table then refuses.
    if (transition(host, event, now)) {
      events.append("host.waking", null, host, "powered on through " + driver.get() + ": " + reason);
    }
    return null;
  }

  // ---- operators ----

  /** Carries out recommendations by id (or all); returns what could not be done, by id. */
  /** What {@link #apply} did: the recommendations carried out, and why the others were not (by id). */
  public record Applied(List<Recommendation> applied, Map<String, String> failed) {}

  public synchronized Applied apply(List<String> ids, boolean all) throws Exception {
    Map<String, String> failed = new java.util.TreeMap<>();
    List<Recommendation> chosen = new ArrayList<>();
    if (all) {
      chosen.addAll(recommendations.values());
    } else {
      for (String id : ids) {
        Recommendation r = recommendations.get(id);
        if (r == null) {
          failed.put(id, "no such recommendation (applied already, or no longer made by the latest DRS pass; see `roamctl drs recs`)");
        } else {
          chosen.add(r);
        }
      }
    }
    long now = clock.millis();
    List<Recommendation> applied = new ArrayList<>();
    for (Recommendation r : chosen) {
      boolean ok;
      if (r.vm().isEmpty()) {
        apply(new PowerAction(r.from(), r.kind().equals("power-on") ? PowerAction.Kind.POWER_ON
            : PowerAction.Kind.POWER_OFF, true, r.reason()), now);
        ok = true;
      } else {
        ok = startMove(r.vm(), r.from(), r.to(), "applied by an operator: " + r.reason(), now);
      }
      if (ok) {
        recommendations.remove(r.id());
        applied.add(r);
      } else {
        failed.put(r.id(), "the migration did not start; see the master log");
      }
    }
    return new Applied(applied, failed);
  }
}
