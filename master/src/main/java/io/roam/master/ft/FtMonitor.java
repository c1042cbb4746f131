package io.roam.master.ft;

import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.master.api.AgentClients;
import io.roam.master.drs.model.HostView;
import io.roam.master.drs.model.VmView;
import io.roam.master.events.EventLog;
import io.roam.master.hosts.HostStatus;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.ClusterStore.Versioned;
import io.roam.master.scheduler.SnapshotReader;
import io.roam.proto.AgentMigrateRequest;
import io.roam.proto.HostAddress;
import io.roam.proto.ListMigrationsRequest;
import io.roam.proto.MigrationId;
import io.roam.proto.MigrationInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's FT loop (DESIGN.md "Fault tolerance"): each pass reads the VMs, their owner records
 * and the hosts, asks {@link FtPlanner} what to do, and carries it out on its own threads: it asks
 * a protected VM's primary agent to seed a hot secondary (a migration that never switches over),
 * or to end a protection when FT is turned off. Re-protection needs nothing more: a VM whose
 * secondary was promoted, or lost, is simply unprotected again at the next pass. Failing over to a
 * secondary is HA's ({@code HaPlanner}).
 *
 * <p>What was asked is remembered for {@link #RETRY_MS}, so that a pass does not ask again while
 * the primary seeds (its tag on the owner record says when it is done); a new leader asks again,
 * and the primary refuses a second protection of a VM it already protects.
 *
 * <p>Thread-safety: {@link #tick} on the leader's pass thread; the actions on this monitor's pool.
 */
public final class FtMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FtMonitor.class);
  static final long RETRY_MS = 30_000;
  private static final long AGENT_DEADLINE_MS = 30_000;

  private final ClusterStore store;
  private final AgentClients agents;
  private final EventLog events;
  private final SnapshotReader snapshots;
  private final long epoch;
  private final LongSupplier monotonic;
  private final ExecutorService actions = io.roam.common.concurrent.BoundedPools.of("ft", 8);
  /** "Protect vm" / "Unprotect vm" -> when it was asked (monotonic ms). */
  private final Map<String, Long> asked = new ConcurrentHashMap<>();
  private final Set<String> saidNoRoom = ConcurrentHashMap.newKeySet();

  public FtMonitor(ClusterStore store, AgentClients agents, EventLog events, SnapshotReader snapshots, long epoch,
      LongSupplier monotonic) {
    this.store = store;
    this.agents = agents;
    this.events = events;
    this.snapshots = snapshots;
    this.epoch = epoch;
    this.monotonic = monotonic;
  }

  public void tick(Map<String, HostStatus> hosts) throws Exception {
    SnapshotReader.Read read = snapshots.read(System.currentTimeMillis(), Map.of(), List.of(), List.of());
    long now = monotonic.getAsLong();
    asked.values().removeIf(t -> now - t > RETRY_MS);
    List<FtPlanner.VmFt> vms = new ArrayList<>();
    read.vms().forEach((name, rec) -> {
      Versioned<OwnerRecord> owner = read.owners().get(name);
      if (owner == null) {
        return;
      }
      String protectedBy = owner.value().ftSecondary();
      if (protectedBy != null) {
        asked.remove("Protect " + name); // seeded: a later loss of the secondary is acted on at once
        saidNoRoom.remove(name);
      }
      vms.add(new FtPlanner.VmFt(name, rec.policy().ft(), rec.desiredState() == VmRecord.DesiredState.RUNNING,
          owner.value().host(), protectedBy, asked.containsKey("Protect " + name), rec.spec().memoryBytes(),
          rec.policy().ftSecondary(), rec.policy().ftCheckpointIntervalMs()));
    });
    Map<String, Long> used = new HashMap<>();
    for (VmView v : read.snapshot().vms()) {
      used.merge(v.host(), v.memoryBytes(), Long::sum);
    }
    List<FtPlanner.Host> hostViews = new ArrayList<>();
    for (HostView h : read.snapshot().hosts()) {
      HostStatus s = hosts.get(h.name());
      hostViews.add(new FtPlanner.Host(h.name(), s != null && s.live(), h.mode().takesVms(),
          h.memoryBytes() - used.getOrDefault(h.name(), 0L)));
    }
    for (FtPlanner.Action a : FtPlanner.plan(vms, hostViews)) {
      if (a instanceof FtPlanner.NoRoom n) {
        if (saidNoRoom.add(n.vm())) {
          events.append("ft.needs-secondary", n.vm(), null, n.reason());
        }
        continue;
      }
      if (asked.putIfAbsent(a.getClass().getSimpleName() + " " + a.vm(), now) != null) {
        continue;
      }
      actions.execute(() -> carryOut(a, hosts));
    }
  }

  private void carryOut(FtPlanner.Action a, Map<String, HostStatus> hosts) {
    try {
      store.checkTerm(); // only this leader's term may ask an agent for anything
      if (a instanceof FtPlanner.Protect p) {
        HostRecord primary = hosts.get(p.primary()).record();
        HostRecord secondary = hosts.get(p.secondary()).record();
        MigrationInfo m = agents.stub(primary, AGENT_DEADLINE_MS).migrateVm(AgentMigrateRequest.newBuilder()
            .setMasterEpoch(epoch).setName(p.vm()).setCheckpointIntervalMs((int) p.intervalMs())
            .setDestination(HostAddress.newBuilder().setName(secondary.name()).setAddress(secondary.address())
                .setPort(secondary.port())).build());
        events.append("ft.starting", p.vm(), p.primary(), p.reason() + " (" + m.getId() + ")");
      } else if (a instanceof FtPlanner.Unprotect u) {
        HostRecord primary = hosts.get(u.primary()).record();
        var stub = agents.stub(primary, AGENT_DEADLINE_MS);
        for (MigrationInfo m : stub.listMigrations(ListMigrationsRequest.getDefaultInstance()).getMigrationsList()) {
          if (m.getId().startsWith("ft-" + u.vm() + "-") && m.getVm().equals(u.vm())
              && (m.getStatus().equalsIgnoreCase("active") || m.getStatus().equalsIgnoreCase("setup"))) {
            stub.cancelMigration(MigrationId.newBuilder().setId(m.getId()).setMasterEpoch(epoch).build());
            events.append("ft.stopping", u.vm(), u.primary(), u.reason() + " (" + m.getId() + ")");
          }
        }
      }
    } catch (Exception e) {
      LOG.warn("FT: {} of VM {} failed: {} (asked again in {} s)", a.getClass().getSimpleName(), a.vm(), e.toString(),
          RETRY_MS / 1000);
    }
  }

  @Override
  public void close() {
    actions.shutdownNow();
  }
}
