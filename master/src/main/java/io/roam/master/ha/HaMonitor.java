package io.roam.master.ha;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roam.common.concurrent.OrderedExecutor;
import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.common.model.VmSpecs;
import io.roam.master.api.AgentClients;
import io.roam.master.events.EventLog;
import io.roam.master.hosts.HeartbeatReports;
import io.roam.master.hosts.HostStatus;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.ClusterStore.Versioned;
import io.roam.master.power.PowerControl;
import io.roam.master.scheduler.SnapshotReader;
import io.roam.proto.AgentCreateVmRequest;
import io.roam.proto.AgentVmRequest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's HA loop, the executor of {@link HaPlanner}: keeps every VM whose desired state is
 * running, running, exactly once. Each pass reads a snapshot (inventory records, each host's latest
 * heartbeat report, fencing, HA's own recent actions), asks the planner and carries the actions out.
 *
 * <p>A pass does no RPC to an agent: a VM action is submitted to the master's per-VM queue (the
 * one every operation on a VM goes through), and there, before anything is created or started, the
 * owner record is read again and the action dropped if the VM moved since the pass
 * ({@link HaAction#stillHolds}). Every start carries the owner epoch read, which the agent checks
 * against ZooKeeper. The actions of a pass run in parallel (at most {@link #AGENT_CALLS} agent
 * calls at a time); a VM with an action under way is left out of later passes until it finishes.
 *
 * <p>Runs only while this master leads (the leader term calls {@link #tick} after the host monitor,
 * on one thread); queued actions that start after {@link #close} do nothing. Every command carries
 * the leader epoch.
 */
public final class HaMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HaMonitor.class);
  /** A frozen agent must not hold a VM's queue: questions give up quickly; its session decides. */
  private static final long AGENT_READ_DEADLINE_MS = 2_000;
  private static final long AGENT_DEADLINE_MS = 60_000;
  /** HA's agent calls in flight at once: a host with many VMs boots them in parallel, not all at once. */
  static final int AGENT_CALLS = 8;

  private final ClusterStore store;
  private final AgentClients agents;
  private final EventLog events;
  private final SnapshotReader snapshots;
  private final HeartbeatReports reports;
  private final OrderedExecutor queues;
  private final HaPlanner planner;
  private final Fencer fencer;
  private final long epoch;
  private final Clock wallClock;
  private final LongSupplier monotonic;
  /** Fencing of failed hosts: several at once when a rack fails, never a thread per request. */
  private final ExecutorService fencing = io.roam.common.concurrent.BoundedPools.of("ha-fence", 32);
  /** Fair, like {@link #bootSlots}: VMs start in the order the planner put them (highest priority first). */
  private final Semaphore agentCalls = new Semaphore(AGENT_CALLS, true);
  /**
   * Per target host, failovers creating and booting there at once: at most its cores, so that the
   * first VMs of a failed host serve after one boot's time instead of all of them sharing the CPU
   * and serving together at the end.
   */
  private final Map<String, Semaphore> bootSlots = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private volatile Observer observer = Observer.NONE;
  /** Where the agents' pool sizes are advised from ({@link PoolAdvice}); null: no advice. */
  private volatile PoolAdvice poolAdvice;
  /** Recomputed this often: the cluster's shape changes slowly, and a pool refills in seconds anyway. */
  static final long POOL_ADVICE_PERIOD_MS = 5_000;
  private long poolAdvisedAtMs = Long.MIN_VALUE; // pass thread only

  /** Told of HA's restarts as they succeed (the metrics). Called on HA's action threads; must not block. */
  public interface Observer {
    Observer NONE = new Observer() {
      @Override
      public void failedOver(String vm, String fromHost, String toHost, long millisSinceSeenGone) {}

      @Override
      public void restartedInPlace(String vm, String host) {}
    };

    /** {@code vm} runs again on {@code toHost}, {@code millisSinceSeenGone} after this leader saw {@code fromHost} gone. */
    void failedOver(String vm, String fromHost, String toHost, long millisSinceSeenGone);

    /** {@code vm} was started again on the host it was on (it had crashed, hung or stopped by itself). */
    void restartedInPlace(String vm, String host);
  }

  // Touched by the pass thread only.
  private final Map<String, long[]> ownerSeen = new HashMap<>(); // vm -> {version, monotonic ms first read}
  private final Map<String, List<Long>> restarts = new HashMap<>();
  /**
   * Restarts in place that a pass counted but whose action did nothing (the agent did not answer,
   * or the VM had moved): handed back by the actions, taken off {@link #restarts} by the next pass.
   * The limit is for VMs that keep failing, not for an agent that could not be asked: a freshly
   * restarted agent that did not answer for three passes once left its VM down for ten minutes.
   */
  private final java.util.Queue<Undone> undone = new java.util.concurrent.ConcurrentLinkedQueue<>();

  private record Undone(String vm, long countedAtMs) {}
  private final Set<String> reportedNoRoom = new HashSet<>();
  private final Set<String> reportedDisabled = new HashSet<>();
  private final Set<String> reportedLimit = new HashSet<>();
  // Written by the queued actions too.
  private final Map<String, Long> lastActed = new ConcurrentHashMap<>();
  private final Set<String> busy = ConcurrentHashMap.newKeySet();

  /**
   * @param wallClock only for the CPU demand in the placement snapshot (the load history's clock)
   * @param monotonic HA's clock ({@code Monotonic::millis} in production)
   */
  public HaMonitor(ClusterStore store, AgentClients agents, EventLog events, SnapshotReader snapshots,
      HeartbeatReports reports, PowerControl power, OrderedExecutor queues, long epoch, HaPlanner.Settings settings,
      Clock wallClock, LongSupplier monotonic) {
    this.store = store;
    this.agents = agents;
    this.events = events;
    this.snapshots = snapshots;
    this.reports = reports;
    this.queues = queues;
    this.planner = new HaPlanner(settings);
    this.fencer = new Fencer(power, events::append, fencing);
    this.epoch = epoch;
    this.wallClock = wallClock;
    this.monotonic = monotonic;
  }

  /** Sets who is told of HA's restarts (replacing the previous one). */
  public void observe(Observer o) {
    observer = o;
  }

  /** Keeps {@code advice} up to date from this HA's snapshots, every {@link #POOL_ADVICE_PERIOD_MS}. */
  public void advisePools(PoolAdvice advice) {
    poolAdvice = advice;
  }

  /** One pass over every VM, given this pass's host states. */
  public void tick(Map<String, HostStatus> hostStates) throws Exception {
    SnapshotReader.Read read = snapshots.read(wallClock.millis(), Map.of(), List.of(), List.of());
    // Taken after the read: an owner record first read in this pass counts as changed at `now`, so
    // only heartbeats that arrived after the read are newer than its change.
    long now = monotonic.getAsLong();
    for (Undone u; (u = undone.poll()) != null; ) {
      List<Long> times = restarts.get(u.vm());
      if (times != null) {
        times.remove(Long.valueOf(u.countedAtMs())); // the element, not an index
      }
    }
    PoolAdvice advice = poolAdvice;
    if (advice != null && (poolAdvisedAtMs == Long.MIN_VALUE || now - poolAdvisedAtMs >= POOL_ADVICE_PERIOD_MS)) {
      advice.update(PoolAdvice.compute(read.snapshot()));
      poolAdvisedAtMs = now;
    }
    Map<String, HostStatus> hosts = hostStates; // downSinceMs is on the same monotonic clock as now
    hosts.values().stream().filter(HostStatus::live).forEach(h -> fencer.reset(h.name()));
    HaSnapshot snapshot = new HaSnapshot(read.vms(), read.owners(), ownersSeenSince(read.owners(), now),
        reports.latest(), fencer.states(), restarts, lastActed, busy, read.snapshot());
    for (HaAction a : planner.plan(snapshot, hosts, now)) {
      carryOut(a, hosts, now);
    }
  }

  /** When this leader first read each owner record at its current version. */
  private Map<String, Long> ownersSeenSince(Map<String, Versioned<OwnerRecord>> owners, long now) {
    ownerSeen.keySet().retainAll(owners.keySet());
    Map<String, Long> out = new HashMap<>();
    owners.forEach((vm, o) -> {
      long[] seen = ownerSeen.get(vm);
      if (seen == null || seen[0] != o.version()) {
        seen = new long[] {o.version(), now};
        ownerSeen.put(vm, seen);
      }
      out.put(vm, seen[1]);
    });
    return out;
  }

  /** A restart of {@code vm} on this leader's clock, for the restart limit. */
  private void recordRestart(String vm, long now) {
    List<Long> times = restarts.computeIfAbsent(vm, k -> new ArrayList<>());
    times.removeIf(t -> now - t > HaPlanner.RESTART_WINDOW_MS);
    times.add(now);
    reportedLimit.remove(vm);
  }

  private void carryOut(HaAction a, Map<String, HostStatus> hosts, long now) {
    if (a instanceof HaAction.Fence f) {
      fencer.begin(f.host());
    } else if (a instanceof HaAction.WaitNoRoom w) {
      if (reportedNoRoom.add(w.vm())) {
        events.append("vm.restart-pending", w.vm(), w.host(), w.reason());
      }
    } else if (a instanceof HaAction.RestartDisabled d) {
      if (reportedDisabled.add(d.vm())) {
        events.append("vm.restart-disabled", d.vm(), null, d.reason());
      }
    } else if (a instanceof HaAction.RestartLimited l) {
      if (reportedLimit.add(l.vm())) {
        events.append("vm.restart-limit", l.vm(), null, l.reason());
      }
    } else if (a instanceof HaAction.InPlace p) {
      recordRestart(p.vm(), now);
      HostRecord host = hosts.get(p.host()).record();
      submit(a, rec -> restartInPlace(p, host, rec), () -> undone.add(new Undone(p.vm(), now)));
    } else if (a instanceof HaAction.Promote p) {
      HostStatus target = hosts.get(p.toHost());
      HostStatus from = hosts.get(p.fromHost());
      if (from != null && from.live()) {
        recordRestart(p.vm(), now); // no process on a live host: counted against the limit as a restart in place
      }
      long seenGone = from != null && from.downSinceMs() >= 0 ? from.downSinceMs() : now;
      if (target != null) {
        submit(a, rec -> {
          if (from != null && from.live() && !needsRestart(from.record(), p.vm())) {
            // Its host says the VM has a process again (an operator's start got there first, or
            // the report was old): the primary lives; no failover.
            LOG.info("HA: VM {} on {} has a process again; not failing over to its secondary", p.vm(), p.fromHost());
            return false;
          }
          promote(p, target.record(), seenGone, now);
          return true;
        }, () -> {});
      }
    } else if (a instanceof HaAction.FailOver f) {
      reportedNoRoom.remove(f.vm());
      HostStatus target = hosts.get(f.toHost());
      HostStatus from = hosts.get(f.fromHost());
      long seenGone = from != null && from.downSinceMs() >= 0 ? from.downSinceMs() : now;
      if (target != null) { // else registered between the two reads of this pass: the next pass has it
        submit(a, rec -> {
          failOver(f, target.record(), rec, seenGone, now);
          return true;
        }, () -> {});
      }
    }
  }

  private interface Step {
    /** Carries the action out; false when it found nothing to do and did nothing. */
    boolean run(VmRecord rec) throws Exception;
  }

  /**
   * Runs the VM action on the VM's queue, after reading its records again: dropped if they changed
   * since the pass decided on them, or if this leader term ended meanwhile. {@code ifNothingDone}
   * runs when the action was dropped or did nothing (not when it failed: a failed start counts).
   */
  private void submit(HaAction a, Step step, Runnable ifNothingDone) {
    String vm = a.vm();
    busy.add(vm);
    queues.submit(vm, () -> {
      boolean acted = false;
      try {
        if (closed) {
          return null;
        }
        Optional<Versioned<OwnerRecord>> owner = store.owner(vm);
        Optional<VmRecord> rec = store.vm(vm);
        if (!HaAction.stillHolds(a, owner, rec)) {
          LOG.info("HA: VM {} changed since the pass decided ({}); owner now {}", vm, a, owner.orElse(null));
          return null;
        }
        agentCalls.acquire();
        try {
          acted = true; // unless the step says it did nothing: an attempt that failed counts
          acted = step.run(rec.get());
        } finally {
          agentCalls.release();
        }
      } catch (StatusRuntimeException e) {
        LOG.warn("HA on VM {}: {} failed: {} (the next passes look again)", vm, a.getClass().getSimpleName(),
            e.getStatus());
      } catch (Exception e) {
        LOG.warn("HA on VM {}: {} failed: {}", vm, a.getClass().getSimpleName(), e.toString());
      } finally {
        lastActed.put(vm, monotonic.getAsLong());
        busy.remove(vm);
        if (!acted) {
          ifNothingDone.run();
        }
      }
      return null;
    });
  }

  /** Returns false when it did nothing (the VM runs, or its agent does not answer now). */
  private boolean restartInPlace(HaAction.InPlace p, HostRecord host, VmRecord rec) {
    String vm = p.vm();
    if (p instanceof HaAction.RestartInPlace r) {
      if (!needsRestart(host, vm)) {
        // The report that showed it missing or stopped was sampled before an operator's (or a
        // previous leader's) start reached the agent, or the agent does not answer now.
        LOG.info("HA: VM {} on {} runs or its agent does not answer; not restarting it in place", vm, host.name());
        return false;
      }
      if (r.create()) {
        create(host, rec, r.ownerEpoch()); // not on its host at all: created from the spec just read
      }
      start(host, vm, r.ownerEpoch());
      events.append("vm.restarted", vm, host.name(), r.reason());
      observer.restartedInPlace(vm, host.name());
      return true;
    }
    if (p instanceof HaAction.PowerOffHung h) {
      events.append("vm.hung", vm, host.name(), h.reason());
    } else {
      events.append("vm.incoming-stuck", vm, host.name(), p.reason());
    }
    agents.stub(host, AGENT_DEADLINE_MS).powerOffVm(request(vm, p.ownerEpoch()));
    start(host, vm, p.ownerEpoch());
    events.append("vm.restarted", vm, host.name(), p instanceof HaAction.PowerOffHung
        ? "the VM was hung; started it again in place" : "the incoming copy never finished; booted the VM here");
    observer.restartedInPlace(vm, host.name());
    return true;
  }

  /**
   * @param seenGoneMs when (monotonic) this leader first saw the host's session gone
   * @param decidedMs the pass that decided the failover (monotonic)
   */
  private void failOver(HaAction.FailOver f, HostRecord target, VmRecord rec, long seenGoneMs, long decidedMs)
      throws Exception {
    if (!store.compareAndSetOwner(f.vm(), f.expectedOwnerVersion(), new OwnerRecord(f.toHost(), f.newEpoch()))) {
      LOG.info("HA: VM {} moved while its failover waited; the next pass sees the new owner", f.vm());
      return;
    }
    long placed = monotonic.getAsLong();
    Semaphore slots = bootSlots.computeIfAbsent(target.name(), h -> new Semaphore(Math.max(1, target.cores()), true));
    slots.acquire();
    try {
      create(target, rec, f.newEpoch());
      start(target, f.vm(), f.newEpoch());
    } finally {
      slots.release();
    }
    long booted = monotonic.getAsLong();
    // Where the restart's time went, for operators and `./roam bench ha` (which reads these numbers).
    events.append("vm.restarted", f.vm(), f.toHost(), f.reason() + " (" + timing(seenGoneMs, decidedMs, placed,
        booted) + ")");
    observer.failedOver(f.vm(), f.fromHost(), f.toHost(), booted - seenGoneMs);
  }

  /**
   * FT failover: the record moves to the secondary by compare-and-set from the tagged version the
   * pass read (the tag goes along: the secondary resumes only under a record that carries its
   * protection's tag), then the secondary's agent resumes it. If that fails, the record already
   * names the secondary's host, and the next pass restarts the VM there as for any VM that does not
   * run on its owner (its memory then lost).
   */
  private void promote(HaAction.Promote p, HostRecord target, long seenGoneMs, long decidedMs) throws Exception {
    if (!store.compareAndSetOwner(p.vm(), p.expectedOwnerVersion(), new OwnerRecord(p.toHost(), p.newEpoch(),
        p.ftTag()))) {
      LOG.info("HA: VM {} changed while its FT failover waited; the next pass sees the new owner", p.vm());
      return;
    }
    long placed = monotonic.getAsLong();
    agents.stub(target, AGENT_DEADLINE_MS).promoteSecondary(request(p.vm(), p.newEpoch()));
    long resumed = monotonic.getAsLong();
    events.append("vm.ft-failover", p.vm(), p.toHost(), p.reason() + " (" + timing(seenGoneMs, decidedMs, placed,
        resumed, "resumed from its last checkpoint") + ")");
    observer.failedOver(p.vm(), p.fromHost(), p.toHost(), resumed - seenGoneMs);
  }

  /** One failover's phases on this leader's clock, as the vm.restarted event states them. */
  static String timing(long seenGoneMs, long decidedMs, long placedMs, long bootedMs) {
    return timing(seenGoneMs, decidedMs, placedMs, bootedMs, "created and booted");
  }

  /** As above, saying what the last phase did (an FT failover resumes, it does not boot). */
  static String timing(long seenGoneMs, long decidedMs, long placedMs, long doneMs, String lastPhase) {
    return "decided " + (decidedMs - seenGoneMs) + " ms after the session was seen gone, owner moved "
        + (placedMs - decidedMs) + " ms after the decision, " + lastPhase + " in " + (doneMs - placedMs) + " ms";
  }

  /**
   * Whether a restart in place should go ahead, asking the host once, on this rare path only (VM
   * monitoring otherwise reads the heartbeat stream): only when the VM is not there, or has no
   * process (created, stopped, crashed). A VM with a process, or arriving by migration, is left
   * alone; so is one whose agent does not answer quickly: its session decides (a frozen agent
   * must not hold the VM's queue, and with it a failover, for a long deadline).
   */
  private boolean needsRestart(HostRecord host, String vm) {
    try {
      io.roam.proto.VmState s = agents.stub(host, AGENT_READ_DEADLINE_MS)
          .describeVm(AgentVmRequest.newBuilder().setName(vm).build()).getState();
      return s == io.roam.proto.VmState.VM_STATE_STOPPED || s == io.roam.proto.VmState.VM_STATE_CRASHED
          || s == io.roam.proto.VmState.VM_STATE_CREATED;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() == Status.Code.NOT_FOUND;
    }
  }

  private AgentVmRequest request(String vm, long ownerEpoch) {
    return AgentVmRequest.newBuilder().setMasterEpoch(epoch).setName(vm).setOwnerEpoch(ownerEpoch).build();
  }

  private void start(HostRecord host, String vm, long ownerEpoch) {
    agents.stub(host, AGENT_DEADLINE_MS).startVm(request(vm, ownerEpoch));
  }

  private void create(HostRecord host, VmRecord rec, long ownerEpoch) {
    try {
      agents.stub(host, AGENT_DEADLINE_MS).createVm(AgentCreateVmRequest.newBuilder().setMasterEpoch(epoch)
          .setSpec(VmSpecs.toProto(rec.spec())).setOwnerEpoch(ownerEpoch).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
        throw e;
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    fencing.shutdownNow();
  }
}
