package io.roam.master.ha;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.common.model.VmSpecs;
import io.roam.master.api.AgentClients;
import io.roam.master.drs.Placement;
import io.roam.master.hosts.HostStatus;
import io.roam.master.power.PowerControl;
import io.roam.master.scheduler.SnapshotReader;
import io.roam.master.events.EventLog;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.ClusterStore.Versioned;
import io.roam.proto.AgentCreateVmRequest;
import io.roam.proto.AgentVmRequest;
import io.roam.proto.VmInfo;
import io.roam.proto.VmState;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's HA loop: keeps every VM whose desired state is running, running, exactly once. Each
 * pass is given the hosts' states by the host monitor.
 *
 * <ul>
 *   <li>VM monitoring: a VM missing, stopped or crashed on a connected host is started again in
 *       place, and one whose heartbeat counter is stuck while it runs is powered off and started
 *       again, at most {@code restartLimit} times in ten minutes.
 *   <li>Failover: a host whose ZooKeeper session has expired (its live node is gone) is failed
 *       once {@code failoverDelay} (at least the VM lease length) has passed since: by then its VMs
 *       have paused themselves (DESIGN.md invariant 4). Each of its VMs moves to the connected host
 *       with the most room by a compare-and-set of its owner record to {new host, epoch + 1}, and
 *       boots there. A VM with no room anywhere waits, said once in an event, and is retried.
 * </ul>
 *
 * Runs only while this master leads (the leader term calls it after the host monitor); every
 * command carries the leader epoch.
 */
public final class HaMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HaMonitor.class);
  private static final long AGENT_DEADLINE_MS = 60_000;
  /** A frozen agent must not hold up the loop: reads give up quickly; its session decides. */
  private static final long AGENT_READ_DEADLINE_MS = 2_000;
  private static final long RESTART_WINDOW_MS = 600_000;

  private final ClusterStore store;
  private final AgentClients agents;
  private final EventLog events;
  private final SnapshotReader snapshots;
  private final Fencer fencer;
  private final long epoch;
  private final long failoverDelayMs;
  private final int restartLimit;
  private final Clock clock;
  private final Set<String> reportedNoRoom = new HashSet<>();
  private final Set<String> reportedDisabled = new HashSet<>();
  private final Map<String, Deque<Long>> restarts = new HashMap<>();
  private final StallWatch stalls;
  private final java.util.concurrent.ExecutorService booters = java.util.concurrent.Executors.newFixedThreadPool(8, r -> {
    Thread t = new Thread(r, "ha-boot");
    t.setDaemon(true);
    return t;
  });

  public HaMonitor(ClusterStore store, AgentClients agents, EventLog events, SnapshotReader snapshots,
      PowerControl power, long epoch, long failoverDelayMs, int restartLimit, long vmHeartbeatTimeoutMs, Clock clock) {
    this.stalls = new StallWatch(vmHeartbeatTimeoutMs);
    this.store = store;
    this.agents = agents;
    this.events = events;
    this.snapshots = snapshots;
    this.fencer = new Fencer(power, events, booters);
    this.epoch = epoch;
    this.failoverDelayMs = failoverDelayMs;
    this.restartLimit = restartLimit;
    this.clock = clock;
  }

  /** One pass over every VM, given this pass's host states. */
  public void tick(Map<String, HostStatus> hosts) throws Exception {
    long now = clock.millis();
    Map<String, List<VmRecord>> onDownHosts = new HashMap<>();
    for (String name : store.vmNames()) {
      Optional<VmRecord> rec = store.vm(name);
      Optional<Versioned<OwnerRecord>> owner = store.owner(name);
      if (rec.isEmpty() || owner.isEmpty() || rec.get().desiredState() != VmRecord.DesiredState.RUNNING) {
        continue;
      }
      HostStatus host = hosts.get(owner.get().value().host());
      if (host == null) {
        continue;
      }
      if (host.live()) {
        keepRunning(rec.get(), owner.get().value(), host.record());
      } else {
        onDownHosts.computeIfAbsent(host.name(), k -> new ArrayList<>()).add(rec.get());
      }
    }
    hosts.values().stream().filter(HostStatus::live).forEach(h -> fencer.reset(h.name()));
    // Decided once per host and pass, so that all the VMs of a host fail over together (fencing
    // that finishes halfway through a pass must not split them over two passes). Only hosts that
    // hold VMs to restart are fenced: a host parked by DPM is off already and holds none.
    List<VmRecord> toRestart = new ArrayList<>();
    onDownHosts.forEach((host, vms) -> {
      if (now - hosts.get(host).downSinceMs() >= failoverDelayMs || fencer.fenced(host)) {
        toRestart.addAll(vms);
      }
    });
    if (!toRestart.isEmpty()) {
      bootAll(failOver(toRestart, hosts));
    }
  }

  /**
   * Moves the VMs of failed hosts, highest restart priority first, to the hosts DRS placement
   * picks (one after the other, each seeing the ones before), by a compare-and-set of each owner
   * record to {new host, epoch + 1}; returns the boots to run there. A VM with no room waits, said
   * once in an event, and is retried as room appears.
   */
  private List<Runnable> failOver(List<VmRecord> vms, Map<String, HostStatus> hosts) throws Exception {
    List<VmRecord> ordered = new ArrayList<>(vms);
    ordered.sort(java.util.Comparator.comparingInt((VmRecord r) -> r.policy().restartRank())
        .thenComparing(r -> r.spec().name()));
    Placement placement = Placement.of(snapshots.read(clock.millis(), Map.of(), List.of(), List.of()).snapshot());
    List<Runnable> boots = new ArrayList<>();
    for (VmRecord rec : ordered) {
      String name = rec.spec().name();
      if (rec.policy().restartPriority().equals("disabled")) {
        if (reportedDisabled.add(name)) {
          events.append("vm.restart-disabled", name, null, "its host failed; restart priority is disabled, so HA"
              + " leaves it down");
        }
        continue;
      }
      Optional<Versioned<OwnerRecord>> owner = store.owner(name);
      if (owner.isEmpty()) {
        continue;
      }
      Placement.Decision d = placement.place(name, true);
      if (d.host().isEmpty()) {
        if (reportedNoRoom.add(name)) {
          events.append("vm.restart-pending", name, owner.get().value().host(), "cannot restart: " + d.reason()
              + "; retrying as room appears");
        }
        continue;
      }
      String target = d.host().get();
      long newEpoch = owner.get().value().epoch() + 1;
      if (!store.compareAndSetOwner(name, owner.get().version(), new OwnerRecord(target, newEpoch))) {
        continue; // someone else moved it; the next pass sees the new owner
      }
      reportedNoRoom.remove(name);
      HostRecord h = hosts.get(target).record();
      String failed = owner.get().value().host();
      boots.add(() -> {
        try {
          create(h, rec, newEpoch);
          agents.stub(h, AGENT_DEADLINE_MS).startVm(AgentVmRequest.newBuilder().setMasterEpoch(epoch).setName(name)
              .setOwnerEpoch(newEpoch).build());
          events.append("vm.restarted", name, target, "host " + failed + " failed; restarted here at owner epoch "
              + newEpoch + " (priority " + rec.policy().restartPriority() + ")");
        } catch (StatusRuntimeException e) {
          LOG.warn("restart of VM {} on {}: {} (VM monitoring retries it there)", name, target, e.getStatus());
        }
      });
    }
    return boots;
  }

  /**
   * Boots the restarted VMs in parallel: each waits for its JVM to start, and one after the other a
   * host with many VMs would take seconds more to come back.
   */
  private void bootAll(List<Runnable> boots) throws InterruptedException {
    List<java.util.concurrent.Future<?>> running = new ArrayList<>();
    for (Runnable b : boots) {
      running.add(booters.submit(b));
    }
    for (java.util.concurrent.Future<?> f : running) {
      try {
        f.get(AGENT_DEADLINE_MS * 2, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        LOG.warn("restart: {}", e.toString());
      }
    }
  }

  /** VM monitoring on a connected host: start what should run and does not. */
  private void keepRunning(VmRecord rec, OwnerRecord owner, HostRecord host) {
    String name = rec.spec().name();
    VmInfo info;
    try {
      info = agents.stub(host, AGENT_READ_DEADLINE_MS).describeVm(AgentVmRequest.newBuilder().setName(name).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        return; // the agent did not answer: its session decides
      }
      info = null;
    }
    if (info != null) {
      long stuck = stalls.stuckFor(name, info, clock.millis());
      if (stuck >= 0) {
        restartHung(rec, host, info, stuck);
        return;
      }
    }
    if (info != null && (!info.getMigrationId().isEmpty()
        || (info.getState() != VmState.VM_STATE_STOPPED && info.getState() != VmState.VM_STATE_CRASHED))) {
      return;
    }
    if (!mayRestart(name)) {
      return;
    }
    try {
      if (info == null) {
        create(host, rec, owner.epoch());
      }
      agents.stub(host, AGENT_DEADLINE_MS).startVm(AgentVmRequest.newBuilder().setMasterEpoch(epoch).setName(name)
          .setOwnerEpoch(owner.epoch()).build());
      events.append("vm.restarted", name, host.name(), info == null ? "the VM was missing on its host; booted it again there"
          : "the VM was " + info.getState().name().replace("VM_STATE_", "").toLowerCase(java.util.Locale.ROOT)
              + " on its host; started it again in place");
    } catch (StatusRuntimeException e) {
      LOG.warn("restarting VM {} on {}: {}", name, host.name(), e.getStatus());
    }
  }

  /** A hung VM is powered off (its process killed) and started again in place. */
  private void restartHung(VmRecord rec, HostRecord host, VmInfo info, long stuckMs) {
    String name = rec.spec().name();
    if (!mayRestart(name)) {
      return;
    }
    stalls.forget(name);
    events.append("vm.hung", name, host.name(), "its heartbeat counter has been stuck at " + info.getHeartbeat()
        + " for " + stuckMs + " ms while running; powering it off and starting it again in place");
    try {
      AgentVmRequest req = AgentVmRequest.newBuilder().setMasterEpoch(epoch).setName(name)
          .setOwnerEpoch(info.getOwnerEpoch()).build();
      agents.stub(host, AGENT_DEADLINE_MS).powerOffVm(req);
      agents.stub(host, AGENT_DEADLINE_MS).startVm(req);
      events.append("vm.restarted", name, host.name(), "the VM was hung; started it again in place");
    } catch (StatusRuntimeException e) {
      LOG.warn("restarting hung VM {} on {}: {}", name, host.name(), e.getStatus());
    }
  }

  private boolean mayRestart(String vm) {
    long now = clock.millis();
    Deque<Long> times = restarts.computeIfAbsent(vm, k -> new ArrayDeque<>());
    while (!times.isEmpty() && now - times.peekFirst() > RESTART_WINDOW_MS) {
      times.pollFirst();
    }
    if (times.size() >= restartLimit) {
      if (times.size() == restartLimit) {
        events.append("vm.restart-limit", vm, null, "restarted " + restartLimit + " times in 10 minutes; not again until"
            + " the window passes");
        times.addLast(now); // mark as reported
      }
      return false;
    }
    times.addLast(now);
    return true;
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
    booters.shutdownNow();
  }
}
