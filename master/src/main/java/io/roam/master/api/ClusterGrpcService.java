package io.roam.master.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.roam.common.Sizes;
import io.roam.common.concurrent.OrderedExecutor;
import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.common.model.VmRecord.DesiredState;
import io.roam.common.model.VmSpec;
import io.roam.common.model.VmSpecs;
import io.roam.common.net.AddressPool;
import io.roam.common.net.VmAddressRules;
import io.roam.master.inventory.HostLoads.HostLoad;
import io.roam.master.election.LeaderElection;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.ClusterStore.Versioned;
import io.roam.proto.AgentCreateVmRequest;
import io.roam.proto.AgentListVmsRequest;
import io.roam.proto.AgentServiceGrpc.AgentServiceBlockingStub;
import io.roam.proto.AgentVmRequest;
import io.roam.proto.ClusterServiceGrpc;
import io.roam.proto.CreateVmRequest;
import io.roam.proto.LeaderInfo;
import io.roam.proto.LeaderRequest;
import io.roam.proto.ListHostsRequest;
import io.roam.proto.ListHostsResponse;
import io.roam.proto.ListVmsRequest;
import io.roam.proto.ListVmsResponse;
import io.roam.proto.VmInfo;
import io.roam.proto.VmName;
import io.roam.proto.AgentMigrateRequest;
import io.roam.proto.HostAddress;
import io.roam.proto.ListMigrationsRequest;
import io.roam.proto.ListMigrationsResponse;
import io.roam.proto.MigrateVmRequest;
import io.roam.proto.MigrationId;
import io.roam.proto.MigrationInfo;
import io.roam.proto.MigrationParams;
import io.roam.master.events.EventLog;
import io.roam.proto.Event;
import io.roam.proto.ListEventsRequest;
import io.roam.proto.ListEventsResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ClusterService: what roamctl asks of the cluster. Writes are served by the leader only (others
 * answer UNAVAILABLE naming the leader) and stamped with its epoch; reads are served by any master.
 * Every write to the inventory goes through the store bound to the leader's term ({@link
 * #termStore}): a master whose term ended before it noticed fails the write as a whole with
 * NotLeaderException, which roamctl sees as UNAVAILABLE and takes to the next master.
 * Work runs on a queue per VM, so two commands for one VM never race, and no gRPC thread blocks.
 */
public final class ClusterGrpcService extends ClusterServiceGrpc.ClusterServiceImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterGrpcService.class);
  private static final long AGENT_WRITE_DEADLINE_MS = 90_000;
  private static final long AGENT_READ_DEADLINE_MS = 5_000;
  /** A DRS apply task fails this long after its moves' time limit (room to start them and see them end). */
  private static final long APPLY_DEADLINE_MARGIN_MS = 60_000;
  private static final String HOSTS_QUEUE = "\0hosts";
  /** Checks wait for each other, not for host changes: one takes seconds (probes, BMCs). */
  private static final String CHECK_QUEUE = "\0check";

  private final ClusterStore store;
  private final AgentClients agents;
  private final LeaderElection election;
  private final OrderedExecutor queues;
  private final MigrationParams migrationDefaults;
  private final EventLog events;
  private final LeaderState leader;
  private final io.roam.master.hosts.LoadHistory load;
  private final PlacementService placement;
  private final HostAdmin hostAdmin;
  private final io.roam.master.check.ClusterChecker checker;
  private final DashboardLogins dashboard;
  private final AddressPool addressPool;
  /**
   * Held from the check that a VM's address is free to the write of its record, so that two creates
   * (on two VMs' queues) cannot both take one address. Only the leader creates VMs.
   */
  private final Object addressLock = new Object();

  /**
   * What the API is set up with besides its collaborators; immutable.
   *
   * @param migrationDefaults the cluster's defaults for a migration; a request's zero fields take
   *     them ({@code no_auto_converge} set in the default means auto-converge is off by default)
   * @param hostFailures how many host failures placement keeps room for (ha.host-failures)
   * @param demandWindowMs the CPU-demand window placement reads load over (drs.demand-window-ms)
   * @param powerDrivers the power drivers the masters' configuration defines (the API selects among them)
   * @param addressPool the addresses VMs may have (vm.address-pool; empty: none)
   * @param checker runs `roamctl cluster check` on this master while it leads; null: refused
   * @param dashboard makes `roamctl dashboard`'s login links; null: the dashboard is off, refused
   */
  public record Settings(MigrationParams migrationDefaults, int hostFailures, long demandWindowMs,
      io.roam.master.power.PowerDriverCatalog powerDrivers, AddressPool addressPool,
      io.roam.master.check.ClusterChecker checker, DashboardLogins dashboard) {
    /** No power drivers, no address pool, no cluster check. */
    public static Settings of(MigrationParams migrationDefaults, int hostFailures, long demandWindowMs) {
      return new Settings(migrationDefaults, hostFailures, demandWindowMs, io.roam.master.power.PowerDriverCatalog.none(),
          AddressPool.NONE, null, null);
    }

    public Settings withPowerDrivers(io.roam.master.power.PowerDriverCatalog drivers) {
      return new Settings(migrationDefaults, hostFailures, demandWindowMs, drivers, addressPool, checker, dashboard);
    }

    public Settings withAddressPool(AddressPool pool) {
      return new Settings(migrationDefaults, hostFailures, demandWindowMs, powerDrivers, pool, checker, dashboard);
    }

    public Settings withChecker(io.roam.master.check.ClusterChecker c) {
      return new Settings(migrationDefaults, hostFailures, demandWindowMs, powerDrivers, addressPool, c, dashboard);
    }

    public Settings withDashboard(DashboardLogins d) {
      return new Settings(migrationDefaults, hostFailures, demandWindowMs, powerDrivers, addressPool, checker, d);
    }
  }

  /** Makes a login link to this master's dashboard for a caller (io.roam.master.dashboard). */
  public interface DashboardLogins {
    io.roam.proto.DashboardLogin login(io.roam.common.security.PeerIdentity who);
  }

  public ClusterGrpcService(ClusterStore store, AgentClients agents, LeaderElection election, OrderedExecutor queues,
      EventLog events, LeaderState leader, io.roam.master.hosts.LoadHistory load, Settings settings) {
    this.addressPool = settings.addressPool();
    this.checker = settings.checker();
    this.dashboard = settings.dashboard();
    this.events = events;
    this.leader = leader;
    this.load = load;
    this.placement = new PlacementService(store, load, settings.hostFailures(), settings.demandWindowMs());
    this.hostAdmin = new HostAdmin(store, events, leader, load, settings.powerDrivers());
    this.store = store;
    this.agents = agents;
    this.election = election;
    this.queues = queues;
    this.migrationDefaults = settings.migrationDefaults();
  }

  private MigrationParams withDefaults(MigrationParams p) {
    MigrationParams d = migrationDefaults;
    return MigrationParams.newBuilder()
        .setDowntimeLimitMs(p.getDowntimeLimitMs() > 0 ? p.getDowntimeLimitMs() : d.getDowntimeLimitMs())
        .setMaxBandwidthBytesPerSecond(p.getMaxBandwidthBytesPerSecond() > 0 ? p.getMaxBandwidthBytesPerSecond()
            : d.getMaxBandwidthBytesPerSecond())
        .setNoAutoConverge(p.getNoAutoConverge() || d.getNoAutoConverge())
        .setMaxTotalMs(p.getMaxTotalMs() > 0 ? p.getMaxTotalMs() : d.getMaxTotalMs())
        .setVerifyFullDigest(p.getVerifyFullDigest()).build();
  }

  /** Refuses knobs out of their bounds ({@link io.roam.common.model.MigrationLimits}); unset (0) takes the default. */
  static void checkMigrationParams(MigrationParams p) {
    if (p.getDowntimeLimitMs() < 0 || p.getMaxBandwidthBytesPerSecond() < 0 || p.getMaxTotalMs() < 0) {
      throw MasterException.invalid("migration limits must not be negative");
    }
    String problem = io.roam.common.model.MigrationLimits.bandwidthProblem(p.getMaxBandwidthBytesPerSecond());
    if (problem == null && p.getMaxTotalMs() != 0) {
      problem = io.roam.common.model.MigrationLimits.maxTimeProblem(p.getMaxTotalMs());
    }
    if (problem != null) {
      throw MasterException.invalid(problem);
    }
  }

  // ---- writes ----

  @Override
  public void createVm(CreateVmRequest req, StreamObserver<VmInfo> out) {
    VmSpec spec = VmSpecs.fromProto(req.getSpec());
    io.roam.common.model.VmPolicy policy = new io.roam.common.model.VmPolicy(req.getRestartPriority(),
        req.getDrsAutomation());
    if (req.getStart()) {
      run(spec.name(), () -> createAndStart(spec, req.getHost(), policy), out);
    } else {
      run(spec.name(), () -> create(spec, req.getHost(), policy), out);
    }
  }

  /**
   * Create and start as one request, on the VM's queue: both or neither. Admission control is asked
   * before the create (a refusal writes nothing); a start that fails after it (the agent could not
   * boot the VM) destroys the VM again and answers with the start's error.
   */
  private VmInfo createAndStart(VmSpec spec, String requestedHost, io.roam.common.model.VmPolicy policy)
      throws Exception {
    requireLeader();
    placement.admitNew(spec);
    create(spec, requestedHost, policy);
    try {
      return command(spec.name(), DesiredState.RUNNING, AgentServiceBlockingStub::startVm);
    } catch (Exception e) {
      try {
        destroy(spec.name());
      } catch (Exception undo) {
        // Both-or-neither failed: say so in the one line the caller sees, with what to do.
        LOG.warn("VM {} could not be started and could not be destroyed again: {}", spec.name(), undo.getMessage());
        throw new MasterException(e instanceof MasterException m ? m.code() : Status.Code.INTERNAL, e.getMessage()
            + "; VM " + spec.name() + " was created but could not be destroyed again (" + undo.getMessage()
            + "): destroy it with roamctl vm destroy " + spec.name());
      }
      throw e;
    }
  }

  @Override
  public void startVm(VmName req, StreamObserver<VmInfo> out) {
    run(req.getName(), () -> command(req.getName(), DesiredState.RUNNING, AgentServiceBlockingStub::startVm), out);
  }

  @Override
  public void stopVm(VmName req, StreamObserver<VmInfo> out) {
    run(req.getName(), () -> command(req.getName(), DesiredState.STOPPED, AgentServiceBlockingStub::stopVm), out);
  }

  @Override
  public void powerOffVm(VmName req, StreamObserver<VmInfo> out) {
    run(req.getName(), () -> command(req.getName(), DesiredState.STOPPED, AgentServiceBlockingStub::powerOffVm), out);
  }

  @Override
  public void destroyVm(VmName req, StreamObserver<VmInfo> out) {
    run(req.getName(), () -> destroy(req.getName()), out);
  }

  private VmInfo create(VmSpec spec, String requestedHost, io.roam.common.model.VmPolicy policy) throws Exception {
    long epoch = requireLeader();
    ClusterStore writes = termStore();
    String problem = VmSpec.checkName(spec.name());
    if (problem == null) {
      problem = policy.check();
    }
    if (problem == null && spec.program().isBlank()) {
      problem = "a program is required: kv, memstress, cpu, idle, or a class name with a jar";
    }
    if (problem == null) {
      problem = VmSpec.checkMemory(spec.memoryBytes());
    }
    if (problem != null) {
      throw MasterException.invalid(problem);
    }
    Optional<VmRecord> existing = store.vm(spec.name());
    if (existing.isPresent()) {
      throw new MasterException(Status.Code.ALREADY_EXISTS, "a VM named " + spec.name() + " already exists");
    }
    if (spec.hasAddress()) {
      spec = spec.withAddress(checkAddress(spec)); // refused before anything is placed or written
    }
    Map<String, HostRecord> hosts = hostsByName();
    List<HostLoad> loads = hostLoads(hosts);
    String host;
    if (!requestedHost.isEmpty()) {
      HostLoad load = loads.stream().filter(l -> l.name().equals(requestedHost)).findFirst()
          .orElseThrow(() -> MasterException.notFound("unknown host '" + requestedHost + "'; hosts are " + hosts.keySet()));
      if (!load.connected()) {
        throw MasterException.precondition("host " + requestedHost + " is not connected");
      }
      requireTakesVms(requestedHost);
      if (spec.hasAddress() && !hosts.get(requestedHost).vmAddresses()) {
        throw MasterException.precondition(cannotManageAddresses(spec.name(), requestedHost));
      }
      if (load.free() < spec.memoryBytes()) {
        throw new MasterException(Status.Code.RESOURCE_EXHAUSTED, "host " + requestedHost + " has "
            + Sizes.format(load.free()) + " of guest memory free; VM " + spec.name() + " needs " + Sizes.format(spec.memoryBytes()));
      }
      host = requestedHost;
    } else {
      host = placement.place(spec);
    }
    OwnerRecord owner = new OwnerRecord(host, 1);
    synchronized (addressLock) {
      if (spec.hasAddress()) {
        checkAddress(spec); // again, now that no other create can take it between this check and the write
      }
      if (!writes.createVm(new VmRecord(spec, DesiredState.STOPPED, policy), owner)) {
        throw new MasterException(Status.Code.ALREADY_EXISTS, "a VM named " + spec.name() + " already exists");
      }
    }
    try {
      VmInfo info = agent(hosts.get(host), AGENT_WRITE_DEADLINE_MS).createVm(AgentCreateVmRequest.newBuilder()
          .setMasterEpoch(epoch).setSpec(VmSpecs.toProto(spec)).setOwnerEpoch(owner.epoch()).build());
      events.append("vm.created", spec.name(), host, "created with " + Sizes.format(spec.memoryBytes()) + " running "
          + spec.program() + (requestedHost.isEmpty() ? " (placed by DRS)" : ""));
      return info.toBuilder().setDesiredState(DesiredState.STOPPED.name()).build();
    } catch (RuntimeException e) {
      writes.deleteVm(spec.name()); // the agent refused: leave no trace of the VM
      throw fromAgent(host, e);
    }
  }

  /**
   * The VM's address in canonical form, or INVALID_ARGUMENT with the one line of {@link
   * VmAddressRules}: outside the pool, held by another VM, or any address when there is no pool.
   */
  private String checkAddress(VmSpec spec) throws Exception {
    Map<String, String> held = new HashMap<>();
    if (!addressPool.isEmpty()) {
      for (String other : store.vmNames()) {
        store.vm(other).ifPresent(r -> held.put(other, r.spec().address()));
      }
    }
    VmAddressRules.Verdict v = VmAddressRules.check(spec.address(), spec.name(), addressPool, held);
    if (v.refused()) {
      throw MasterException.invalid("cannot create VM " + spec.name() + ": " + v.refusal());
    }
    return v.address().orElseThrow().toString();
  }

  private static String cannotManageAddresses(String vm, String host) {
    return "VM " + vm + " has an address of its own and host " + host + " cannot manage VM addresses (its agent"
        + " needs agent.vm-interface and CAP_NET_ADMIN): choose another host";
  }

  private VmInfo command(String name, DesiredState desired,
      BiFunction<AgentServiceBlockingStub, AgentVmRequest, VmInfo> call) throws Exception {
    long epoch = requireLeader();
    ClusterStore writes = termStore();
    VmRecord rec = store.vm(name).orElseThrow(() -> MasterException.notFound("no VM named " + name));
    OwnerRecord owner = owner(name);
    HostRecord host = hostOf(owner);
    if (desired == DesiredState.RUNNING && rec.desiredState() != DesiredState.RUNNING) {
      placement.admit(rec.spec());
    }
    writes.updateVm(rec.withDesiredState(desired)); // before the agent acts: a refused write asks nothing of it
    try {
      VmInfo info = call.apply(agent(host, AGENT_WRITE_DEADLINE_MS),
          AgentVmRequest.newBuilder().setMasterEpoch(epoch).setName(name).setOwnerEpoch(owner.epoch()).build());
      events.append("vm." + info.getState().name().replace("VM_STATE_", "").toLowerCase(java.util.Locale.ROOT), name,
          host.name(), "desired state " + desired.name().toLowerCase(java.util.Locale.ROOT));
      return info.toBuilder().setDesiredState(desired.name()).build();
    } catch (RuntimeException e) {
      throw fromAgent(host.name(), e);
    }
  }

  /**
   * The operator's delete: the VM's copies and its disk on the shared datastore go, then its
   * records. Where the delete is carried out is decided before anything is written, so a refusal
   * (the VM is migrating; its host is down and no connected host can reach its datastore) changes
   * nothing. Once the desired state is written, a failure leaves the VM stopped, records kept, and
   * a retry finishes the job.
   */
  private VmInfo destroy(String name) throws Exception {
    long epoch = requireLeader();
    ClusterStore writes = termStore();
    VmRecord rec = store.vm(name).orElseThrow(() -> MasterException.notFound("no VM named " + name));
    OwnerRecord owner = owner(name);
    Map<String, HostRecord> hosts = hostsByName();
    Optional<HostRecord> deleter = deleterFor(name, owner, hosts);
    if (deleter.isPresent() && deleter.get().name().equals(owner.host())) {
      requireNotMigrating(name, deleter.get());
    }
    VmInfo last = VmInfo.newBuilder().setSpec(VmSpecs.toProto(rec.spec())).setHost(owner.host()).build();
    // Written before an agent is asked: a master whose term has ended fails here and destroys
    // nothing, and HA does not restart a VM that is being destroyed.
    writes.updateVm(rec.withDesiredState(DesiredState.STOPPED));
    OwnerRecord asked = owner;
    for (int follows = 0; ; follows++) {
      if (deleter.isPresent()) {
        last = deleteOn(deleter.get(), name, epoch).orElse(last);
      }
      // A migration begun before this delete (it waited behind it on the source's queue) may have
      // moved the VM: its new host's copy must go too, or it runs with no record.
      Optional<OwnerRecord> now = store.owner(name).map(Versioned::value);
      if (now.isEmpty() || now.get().host().equals(asked.host()) && now.get().epoch() == asked.epoch()) {
        break;
      }
      if (follows == MAX_DELETE_FOLLOWS) {
        throw precondition("VM " + name + " kept moving between hosts while it was deleted (now on host "
            + now.get().host() + "); it is stopped and its records are kept: delete it again");
      }
      LOG.info("VM {} moved to host {} while it was deleted on host {}: deleting it there too", name,
          now.get().host(), asked.host());
      asked = now.get();
      deleter = deleterFor(name, asked, hostsByName());
    }
    // If the term ends between the agent's delete and this, the record stays and roamctl's retry on
    // the new leader finishes the job (the agent then answers NOT_FOUND).
    writes.deleteVm(name);
    load.forgetVm(name);
    events.append("vm.destroyed", name, owner.host(), "destroyed");
    return last;
  }

  /** How often a delete follows a VM to the next host its owner record names before it gives up. */
  private static final int MAX_DELETE_FOLLOWS = 3;

  /**
   * The host that carries out the delete of a VM owned by {@code owner}: its owner's host when
   * connected; else any connected host of the same datastore, which deletes the disk (the agent
   * deletes the disk of a VM it does not know); empty when the VM has no disk to delete (its host
   * has no datastore). Refuses, in one line, when the disk exists but no connected host can reach
   * it.
   */
  private Optional<HostRecord> deleterFor(String name, OwnerRecord owner, Map<String, HostRecord> hosts)
      throws Exception {
    HostRecord home = hosts.get(owner.host());
    if (home != null && store.isLive(home.name())) {
      return Optional.of(home);
    }
    if (home != null && home.datastore().isEmpty()) {
      return Optional.empty(); // no datastore: the VM has no disk, only its records are left
    }
    for (HostRecord h : hosts.values()) {
      boolean sharesDisk = home != null ? h.datastore().equals(home.datastore()) : !h.datastore().isEmpty();
      if (sharesDisk && store.isLive(h.name())) {
        LOG.info("VM {}: its host {} is not connected; host {} deletes its disk", name, owner.host(), h.name());
        return Optional.of(h);
      }
    }
    if (home == null && hosts.values().stream().allMatch(h -> h.datastore().isEmpty())) {
      return Optional.empty(); // no host keeps disks
    }
    throw precondition("cannot delete VM " + name + ": its host " + owner.host() + " is not connected and no"
        + " connected host shares its datastore" + (home == null ? "" : " " + home.datastore())
        + " to delete its disk; nothing was changed: retry when such a host is connected");
  }

  /** Refuses the delete of a VM that is migrating: its copy on the destination would outlive it. */
  private void requireNotMigrating(String name, HostRecord host) {
    VmInfo info;
    try {
      info = agent(host, AGENT_READ_DEADLINE_MS).describeVm(AgentVmRequest.newBuilder().setName(name).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return; // not on its host (created elsewhere, or never started there): nothing migrates it
      }
      throw fromAgent(host.name(), e);
    }
    if (!info.getMigrationId().isEmpty()) {
      throw precondition("VM " + name + " is migrating (" + info.getMigrationId() + "); cancel the migration"
          + " (roamctl migration cancel " + info.getMigrationId() + ") or wait for it to end, then delete it");
    }
  }

  /** The operator's delete on one host; empty when that host had no copy (it deleted the disk all the same). */
  private Optional<VmInfo> deleteOn(HostRecord host, String name, long epoch) {
    try {
      return Optional.of(agent(host, AGENT_WRITE_DEADLINE_MS).destroyVm(
          AgentVmRequest.newBuilder().setMasterEpoch(epoch).setName(name).build()));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw fromAgent(host.name(), e);
    }
  }

  // ---- live migration ----

  @Override
  public void migrateVm(MigrateVmRequest req, StreamObserver<MigrationInfo> out) {
    run(req.getName(), () -> migrate(req), out);
  }

  private MigrationInfo migrate(MigrateVmRequest req) throws Exception {
    checkMigrationParams(req.getParams()); // before anything is read or written
    long epoch = requireLeader();
    String name = req.getName();
    VmRecord rec = store.vm(name).orElseThrow(() -> MasterException.notFound("no VM named " + name));
    OwnerRecord owner = owner(name);
    Map<String, HostRecord> hosts = hostsByName();
    String to = req.getToHost();
    if (to.isEmpty()) {
      throw MasterException.invalid("a destination host is required (--to HOST)");
    }
    HostRecord dest = hosts.get(to);
    if (dest == null) {
      throw MasterException.notFound("unknown host '" + to + "'; hosts are " + hosts.keySet());
    }
    if (to.equals(owner.host())) {
      throw MasterException.invalid("VM " + name + " already runs on host " + to);
    }
    if (!store.isLive(to)) {
      throw MasterException.precondition("destination host " + to + " is not connected");
    }
    requireTakesVms(to);
    if (rec.spec().hasAddress() && !dest.vmAddresses()) {
      throw MasterException.precondition(cannotManageAddresses(name, to));
    }
    HostRecord source = hostOf(owner);
    VmInfo info;
    try {
      info = agent(source, AGENT_READ_DEADLINE_MS).describeVm(AgentVmRequest.newBuilder().setName(name).build());
    } catch (RuntimeException e) {
      throw fromAgent(source.name(), e);
    }
    if (info.getState() != io.roam.proto.VmState.VM_STATE_RUNNING) {
      throw MasterException.precondition("VM " + name + " is " + info.getState().name().replace("VM_STATE_", "")
          .toLowerCase(java.util.Locale.ROOT) + "; only a running VM can be migrated");
    }
    if (!info.getMigrationId().isEmpty()) {
      throw MasterException.precondition("VM " + name + " is already migrating (" + info.getMigrationId() + ")");
    }
    HostLoad destLoad = hostLoads(hosts).stream().filter(l -> l.name().equals(to)).findFirst().orElseThrow();
    if (destLoad.free() < rec.spec().memoryBytes()) {
      throw new MasterException(Status.Code.RESOURCE_EXHAUSTED, "destination host " + to + " has "
          + Sizes.format(destLoad.free()) + " of guest memory free; VM " + name + " needs "
          + Sizes.format(rec.spec().memoryBytes()));
    }
    // Starting a migration writes nothing here first: only the leader's term may ask for one.
    termStore().checkTerm();
    try {
      MigrationInfo m = agent(source, AGENT_READ_DEADLINE_MS * 6).migrateVm(AgentMigrateRequest.newBuilder()
          .setMasterEpoch(epoch).setName(name).setParams(withDefaults(req.getParams()))
          .setDestination(HostAddress.newBuilder().setName(dest.name()).setAddress(dest.address()).setPort(dest.port()))
          .build());
      try (var ids = io.roam.common.logging.LogContext.with(io.roam.common.logging.LogContext.MIGRATION, m.getId())) {
        events.append("migration.started", name, source.name(), "migration " + m.getId() + " to " + to + " started");
      }
      return m;
    } catch (RuntimeException e) {
      throw fromAgent(source.name(), e);
    }
  }

  @Override
  public void listMigrations(ListMigrationsRequest req, StreamObserver<ListMigrationsResponse> out) {
    run(HOSTS_QUEUE, () -> {
      List<MigrationInfo> all = new ArrayList<>();
      for (HostRecord h : hostsByName().values()) {
        if (store.isLive(h.name())) {
          try {
            all.addAll(agent(h, AGENT_READ_DEADLINE_MS).listMigrations(req).getMigrationsList());
          } catch (RuntimeException e) {
            LOG.debug("migrations of host {}: {}", h.name(), e.toString());
          }
        }
      }
      all.sort(java.util.Comparator.comparingLong(MigrationInfo::getStartedAtMs));
      return ListMigrationsResponse.newBuilder().addAllMigrations(all).build();
    }, out);
  }

  @Override
  public void getMigration(MigrationId req, StreamObserver<MigrationInfo> out) {
    run(HOSTS_QUEUE, () -> onMigrationHost(req.getId(), (stub, id) -> stub.getMigration(id), 0), out);
  }

  @Override
  public void cancelMigration(MigrationId req, StreamObserver<MigrationInfo> out) {
    try (var ids = io.roam.common.logging.LogContext.with(io.roam.common.logging.LogContext.MIGRATION, req.getId())) {
      run(HOSTS_QUEUE, () -> onMigrationHost(req.getId(), (stub, id) -> stub.cancelMigration(id), requireLeader()), out);
    }
  }

  /** Finds the agent that runs migration {@code id} (its source) and calls it there. */
  private MigrationInfo onMigrationHost(String id, BiFunction<AgentServiceBlockingStub, MigrationId, MigrationInfo> call,
      long epoch) throws Exception {
    for (HostRecord h : hostsByName().values()) {
      if (!store.isLive(h.name())) {
        continue;
      }
      try {
        return call.apply(agent(h, AGENT_READ_DEADLINE_MS), MigrationId.newBuilder().setId(id).setMasterEpoch(epoch).build());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
          throw fromAgent(h.name(), e);
        }
      }
    }
    throw MasterException.notFound("no migration " + id + " (see roamctl migration ls)");
  }

  // ---- reads (any master) ----

  @Override
  public void listEvents(ListEventsRequest req, StreamObserver<ListEventsResponse> out) {
    // ZooKeeper reads only: on the gRPC thread, not behind the hosts queue, where a listing that
    // waits on a slow agent (the dashboard lists VMs and migrations every few seconds) would hold
    // it up.
    inline(() -> {
      ListEventsResponse.Builder b = ListEventsResponse.newBuilder();
      // limit is a uint32: above 2^31 it reads negative in Java; no log holds more than 100,000.
      long limit = Integer.toUnsignedLong(req.getLimit());
      for (EventLog.Entry e : events.list(req.getAfterSeq() <= 0 ? -1 : req.getAfterSeq(), req.getVm(), req.getHost(),
          limit == 0 ? 1000 : (int) Math.min(limit, 100_000))) {
        b.addEvents(Event.newBuilder().setSeq(e.seq()).setTimeMs(e.event().timeMillis()).setKind(e.event().kind())
            .setVm(e.event().vm()).setHost(e.event().host()).setMessage(e.event().message()));
      }
      return b.build();
    }, out);
  }

  /** Serves WatchEvents from now on; set once at start-up (before it, a watch is refused as unavailable). */
  private volatile io.roam.master.events.ClusterWatch watch;

  public void serveWatches(io.roam.master.events.ClusterWatch w) {
    this.watch = w;
  }

  @Override
  public void watchEvents(io.roam.proto.WatchEventsRequest req, StreamObserver<io.roam.proto.WatchEvent> out) {
    io.roam.master.events.ClusterWatch w = watch;
    if (w == null) {
      out.onError(io.grpc.Status.UNAVAILABLE.withDescription("this master does not serve watches yet").asRuntimeException());
      return;
    }
    w.watch(req, (io.grpc.stub.ServerCallStreamObserver<io.roam.proto.WatchEvent>) out);
  }

  @Override
  public void listHosts(ListHostsRequest req, StreamObserver<ListHostsResponse> out) {
    run(HOSTS_QUEUE, () -> {
      Map<String, HostRecord> hosts = hostsByName();
      ListHostsResponse.Builder b = ListHostsResponse.newBuilder();
      for (HostLoad l : hostLoads(hosts)) {
        b.addHosts(hostAdmin.describe(hosts.get(l.name()), l));
      }
      return b.build();
    }, out);
  }

  /**
   * Every registered host as `roamctl host ls` shows it, read now (the leader's metrics: one
   * description for the API and for Prometheus). Reads ZooKeeper; safe to call from any thread.
   */
  public List<io.roam.proto.HostInfo> describeHosts() throws Exception {
    Map<String, HostRecord> hosts = hostsByName();
    List<io.roam.proto.HostInfo> out = new java.util.ArrayList<>();
    for (HostLoad l : hostLoads(hosts)) {
      out.add(hostAdmin.describe(hosts.get(l.name()), l));
    }
    return out;
  }

  @Override
  public void listVms(ListVmsRequest req, StreamObserver<ListVmsResponse> out) {
    run(HOSTS_QUEUE, () -> {
      Map<String, HostRecord> hosts = hostsByName();
      Map<String, Map<String, VmInfo>> byHost = new HashMap<>();
      Map<String, String> hostErrors = new HashMap<>();
      ListVmsResponse.Builder b = ListVmsResponse.newBuilder();
      for (String name : store.vmNames()) {
        Optional<VmRecord> rec = store.vm(name);
        Optional<Versioned<OwnerRecord>> owner = store.owner(name);
        if (rec.isEmpty() || owner.isEmpty()) {
          continue; // deleted while we listed
        }
        String h = owner.get().value().host();
        if (!byHost.containsKey(h) && !hostErrors.containsKey(h)) {
          try {
            Map<String, VmInfo> m = new HashMap<>();
            HostRecord hr = hosts.get(h);
            if (hr == null) {
              throw new IllegalStateException("host " + h + " is unknown");
            }
            if (!store.isLive(h)) {
              throw new IllegalStateException("host " + h + " is not connected"); // session gone: no call to wait out
            }
            agent(hr, AGENT_READ_DEADLINE_MS).listVms(AgentListVmsRequest.getDefaultInstance()).getVmsList()
                .forEach(v -> m.put(v.getSpec().getName(), v));
            byHost.put(h, m);
          } catch (RuntimeException e) {
            hostErrors.put(h, "host " + h + " unreachable: " + describe(e));
          }
        }
        b.addVms(merge(rec.get(), owner.get().value(), Optional.ofNullable(byHost.getOrDefault(h, Map.of()).get(name)),
            hostErrors.get(h)));
      }
      return b.build();
    }, out);
  }

  @Override
  public void describeVm(VmName req, StreamObserver<VmInfo> out) {
    // A read: not queued behind the VM's operations. HA's failover of the VM goes through that
    // queue, and describes of a VM whose host just died (each waiting out the agent deadline) once
    // queued in front of it and held the failover back by seconds.
    inline(() -> {
      VmRecord rec = store.vm(req.getName()).orElseThrow(() -> MasterException.notFound("no VM named " + req.getName()));
      OwnerRecord owner = owner(req.getName());
      HostRecord host = hostsByName().get(owner.host());
      try {
        if (host == null) {
          throw new IllegalStateException("host " + owner.host() + " is unknown");
        }
        if (!store.isLive(host.name())) {
          // Its session is gone: nothing would answer but the deadline.
          return merge(rec, owner, Optional.empty(), "host " + owner.host() + " is not connected");
        }
        VmInfo info = agent(host, AGENT_READ_DEADLINE_MS).describeVm(AgentVmRequest.newBuilder().setName(req.getName()).build());
        return merge(rec, owner, Optional.of(info), null);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
          return merge(rec, owner, Optional.empty(), "not present on host " + owner.host());
        }
        return merge(rec, owner, Optional.empty(), "host " + owner.host() + " unreachable: " + describe(e));
      } catch (RuntimeException e) {
        return merge(rec, owner, Optional.empty(), e.getMessage());
      }
    }, out);
  }

  /**
   * A piece of a VM's log, read from the host its owner record names. Not queued behind the VM's
   * operations (a log is worth reading most while one of them hangs); the agent caps each read.
   */
  @Override
  public void readVmLog(io.roam.proto.ReadVmLogRequest req, StreamObserver<io.roam.proto.VmLogChunk> out) {
    inline(() -> {
      store.vm(req.getName()).orElseThrow(() -> MasterException.notFound("no VM named " + req.getName()));
      HostRecord host = hostOf(owner(req.getName()));
      try {
        return agent(host, AGENT_READ_DEADLINE_MS).readVmLog(req);
      } catch (RuntimeException e) {
        throw fromAgent(host.name(), e);
      }
    }, out);
  }

  @Override
  public void getLeader(LeaderRequest req, StreamObserver<LeaderInfo> out) {
    LeaderInfo.Builder b = LeaderInfo.newBuilder().setMasterId(election.id())
        .setIsLeader(election.leaderEpoch().isPresent());
    election.leader().ifPresent(l -> b.setLeaderAddress(l.address()).setEpoch(l.epoch()));
    out.onNext(b.build());
    out.onCompleted();
  }

  // ---- helpers ----

  private VmInfo merge(VmRecord rec, OwnerRecord owner, Optional<VmInfo> fromAgent, String error) throws Exception {
    VmInfo.Builder b = fromAgent.map(VmInfo::toBuilder).orElseGet(VmInfo::newBuilder);
    b.setSpec(VmSpecs.toProto(rec.spec())).setHost(owner.host()).setDesiredState(rec.desiredState().name())
        .setOwnerEpoch(owner.epoch()).setRestartPriority(rec.policy().restartPriority())
        .setDrsAutomation(rec.policy().drsAutomation());
    String secondary = owner.ftSecondary();
    // A protection the primary is seeding runs there as a migration whose id starts with "ft-".
    b.setFtState(io.roam.master.ft.FtPlanner.state(rec.policy().ft(), secondary, b.getMigrationId().startsWith("ft-")))
        .setFtSecondary(secondary == null ? "" : secondary);
    if (b.getEndpoint().isEmpty()) {
      store.endpoint(rec.spec().name()).ifPresent(b::setEndpoint);
    }
    if (error != null) {
      b.setStatusError(error);
    }
    return b.build();
  }

  private void requireTakesVms(String host) throws Exception {
    io.roam.master.drs.model.HostMode mode = store.hostControl(host).mode();
    if (!mode.takesVms()) {
      throw MasterException.precondition("host " + host + " is " + mode.name().toLowerCase(java.util.Locale.ROOT)
          .replace('_', ' ') + " and takes no VMs");
    }
  }


  // ---- policies, hosts, rules, DRS ----

  @Override
  public void setVmPolicy(io.roam.proto.SetVmPolicyRequest req, StreamObserver<VmInfo> out) {
    run(req.getName(), () -> {
      requireLeader();
      ClusterStore writes = termStore();
      VmRecord rec = store.vm(req.getName()).orElseThrow(() -> MasterException.notFound("no VM named " + req.getName()));
      io.roam.common.model.VmPolicy old = rec.policy();
      if (!req.getFt().isEmpty() && !req.getFt().equals("on") && !req.getFt().equals("off")) {
        throw MasterException.invalid("FT must be on or off, not '" + req.getFt() + "'");
      }
      String secondary = req.getFtSecondary().isEmpty() ? old.ftSecondary()
          : req.getFtSecondary().equals("-") ? "" : req.getFtSecondary();
      if (!secondary.isEmpty() && !secondary.equals(old.ftSecondary()) && !hostsByName().containsKey(secondary)) {
        throw MasterException.notFound("unknown host '" + secondary + "' for the FT secondary; hosts are "
            + hostsByName().keySet());
      }
      io.roam.common.model.VmPolicy p = new io.roam.common.model.VmPolicy(
          req.getRestartPriority().isEmpty() ? old.restartPriority() : req.getRestartPriority(),
          req.getDrsAutomation().isEmpty() ? old.drsAutomation()
              : req.getDrsAutomation().equals("default") ? "" : req.getDrsAutomation(),
          req.getFt().isEmpty() ? old.ft() : req.getFt().equals("on"), secondary,
          req.getFtCheckpointIntervalMs() == 0 ? old.ftCheckpointMs() : req.getFtCheckpointIntervalMs());
      String problem = p.check();
      if (problem != null) {
        throw MasterException.invalid(problem);
      }
      writes.updateVm(rec.withPolicy(p));
      events.append("vm.policy", req.getName(), null, "restart priority " + p.restartPriority() + ", DRS automation "
          + (p.drsAutomation().isEmpty() ? "cluster default" : p.drsAutomation()) + ", FT " + (p.ft() ? "on (checkpoint"
          + " every " + p.ftCheckpointIntervalMs() + " ms" + (p.ftSecondary().isEmpty() ? "" : ", secondary preferably on "
          + p.ftSecondary()) + ")" : "off"));
      return merge(rec.withPolicy(p), owner(req.getName()), Optional.empty(), null);
    }, out);
  }

  @Override
  public void changeHost(io.roam.proto.HostRequest req, StreamObserver<io.roam.proto.HostInfo> out) {
    run(HOSTS_QUEUE, () -> {
      requireLeader();
      io.roam.proto.HostInfo info = hostAdmin.change(req.getHost(), req.getAction());
      io.roam.master.tasks.Tasks t = tasks;
      io.roam.master.drs.model.HostMode goal = switch (req.getAction()) {
        case "enter-maintenance" -> io.roam.master.drs.model.HostMode.MAINTENANCE;
        case "power-off" -> io.roam.master.drs.model.HostMode.STANDBY;
        case "power-on" -> io.roam.master.drs.model.HostMode.CONNECTED;
        default -> null;
      };
      if (t == null || goal == null) {
        return info;
      }
      String kind = req.getAction().equals("enter-maintenance") ? "maintenance-enter" : req.getAction();
      return info.toBuilder().setTaskId(t.startHostTask(kind, info.getName(), goal)).build();
    }, out);
  }

  /** Long operations' tasks; set once at start-up (before it, none is made and the task calls are refused). */
  private volatile io.roam.master.tasks.Tasks tasks;

  public void serveTasks(io.roam.master.tasks.Tasks t) {
    this.tasks = t;
  }

  private io.roam.master.tasks.Tasks tasks() {
    io.roam.master.tasks.Tasks t = tasks;
    if (t == null) {
      throw MasterException.precondition("this master does not follow tasks yet");
    }
    return t;
  }

  @Override
  public void listTasks(io.roam.proto.ListTasksRequest req, StreamObserver<io.roam.proto.ListTasksResponse> out) {
    inline(() -> io.roam.proto.ListTasksResponse.newBuilder().addAllTasks(tasks().list()).build(), out);
  }

  @Override
  public void getTask(io.roam.proto.TaskId req, StreamObserver<io.roam.proto.TaskInfo> out) {
    inline(() -> taskOrRefuse(() -> tasks().get(req.getId()).orElseThrow(() ->
        MasterException.notFound("no task " + req.getId() + " (see roamctl task ls)"))), out);
  }

  @Override
  public void cancelTask(io.roam.proto.TaskId req, StreamObserver<io.roam.proto.TaskInfo> out) {
    run(HOSTS_QUEUE, () -> {
      requireLeader();
      return taskOrRefuse(() -> tasks().cancel(req.getId(), () -> {
        String host = tasks().get(req.getId()).map(io.roam.proto.TaskInfo::getTarget).orElseThrow();
        return hostAdmin.change(host, "exit-maintenance");
      }));
    }, out);
  }

  /** A task call, its refusals (a bad id, a task that cannot be cancelled) as one clear status. */
  private static io.roam.proto.TaskInfo taskOrRefuse(Callable<io.roam.proto.TaskInfo> call) throws Exception {
    try {
      return call.call();
    } catch (IllegalArgumentException e) {
      throw MasterException.invalid(e.getMessage());
    } catch (java.util.NoSuchElementException e) {
      throw MasterException.notFound(e.getMessage());
    } catch (IllegalStateException e) {
      throw MasterException.precondition(e.getMessage());
    }
  }

  @Override
  public void setPowerDriver(io.roam.proto.PowerDriverRequest req, StreamObserver<io.roam.proto.HostInfo> out) {
    run(HOSTS_QUEUE, () -> {
      requireLeader();
      return hostAdmin.setPowerDriver(req);
    }, out);
  }

  @Override
  public void checkCluster(io.roam.proto.ClusterCheckRequest req, StreamObserver<io.roam.proto.ClusterCheckReport> out) {
    run(CHECK_QUEUE, () -> {
      requireLeader();
      if (checker == null) {
        throw MasterException.precondition("this master does not run the cluster check");
      }
      if (req.getMaxClockSkewMs() < 0) {
        throw MasterException.invalid("the clock bound must not be negative");
      }
      List<io.roam.master.check.CheckItem> items = checker.check(req.getMaxClockSkewMs());
      io.roam.proto.ClusterCheckReport.Builder b = io.roam.proto.ClusterCheckReport.newBuilder()
          .setPassed(io.roam.master.check.ClusterCheck.passed(items));
      for (io.roam.master.check.CheckItem i : items) {
        b.addItems(io.roam.proto.ClusterCheckItem.newBuilder().setCheck(i.check()).setSubject(i.subject())
            .setResult(i.verdict().name()).setDetail(i.detail()));
      }
      return b.build();
    }, out);
  }

  @Override
  public void listRules(io.roam.proto.ListRulesRequest req, StreamObserver<io.roam.proto.ListRulesResponse> out) {
    run(HOSTS_QUEUE, () -> RuleAdmin.list(store), out);
  }

  @Override
  public void addRule(io.roam.proto.DrsRule req, StreamObserver<io.roam.proto.ListRulesResponse> out) {
    run(HOSTS_QUEUE, () -> {
      requireLeader();
      return RuleAdmin.add(termStore(), events, req);
    }, out);
  }

  @Override
  public void removeRule(io.roam.proto.RuleName req, StreamObserver<io.roam.proto.ListRulesResponse> out) {
    run(HOSTS_QUEUE, () -> {
      requireLeader();
      return RuleAdmin.remove(termStore(), events, req.getName());
    }, out);
  }

  @Override
  public void getDrsStatus(io.roam.proto.DrsStatusRequest req, StreamObserver<io.roam.proto.DrsStatus> out) {
    run(HOSTS_QUEUE, () -> {
      requireLeader();
      return DrsStatuses.toProto(scheduler().status());
    }, out);
  }

  @Override
  public void applyRecommendations(io.roam.proto.ApplyRequest req, StreamObserver<io.roam.proto.DrsStatus> out) {
    run(HOSTS_QUEUE, () -> {
      requireLeader();
      if (!req.getAll() && req.getIdsCount() == 0) {
        throw MasterException.invalid("name recommendation ids, or all");
      }
      io.roam.master.scheduler.ResourceScheduler.Applied done = scheduler().apply(req.getIdsList(), req.getAll());
      Map<String, String> failed = done.failed();
      List<io.roam.master.scheduler.Recommendation> chosen = done.applied(); // what the task follows
      if (!failed.isEmpty()) {
        throw MasterException.precondition(failed.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
            .collect(java.util.stream.Collectors.joining("; ")));
      }
      io.roam.proto.DrsStatus status = DrsStatuses.toProto(scheduler().status());
      io.roam.master.tasks.Tasks t = tasks;
      if (t == null || chosen.isEmpty()) {
        return status;
      }
      List<io.roam.master.tasks.TaskRecord.Goal> goals = new ArrayList<>();
      for (io.roam.master.scheduler.Recommendation r : chosen) {
        goals.add(!r.vm().isEmpty() ? io.roam.master.tasks.TaskRecord.Goal.vmOn(r.vm(), r.to())
            : io.roam.master.tasks.TaskRecord.Goal.hostIn(r.from(), r.kind().equals("power-on")
                ? io.roam.master.drs.model.HostMode.CONNECTED : io.roam.master.drs.model.HostMode.STANDBY));
      }
      String target = String.join(",", chosen.stream().map(io.roam.master.scheduler.Recommendation::id).toList());
      // Its moves end within a migration's time limit, completed or given up: the task's deadline.
      long deadline = migrationDefaults.getMaxTotalMs() + APPLY_DEADLINE_MARGIN_MS;
      return status.toBuilder().setTaskId(t.startDrsApply(target, goals, deadline)).build();
    }, out);
  }

  @Override
  public void setDrsSettings(io.roam.proto.DrsSettingsRequest req, StreamObserver<io.roam.proto.DrsStatus> out) {
    run(HOSTS_QUEUE, () -> {
      requireLeader();
      SchedulerSettingsAdmin.apply(termStore(), events, req, scheduler()::check);
      scheduler().tickSafely(); // show the new settings at once
      return DrsStatuses.toProto(scheduler().status());
    }, out);
  }

  @Override
  public void createDashboardLogin(io.roam.proto.DashboardLoginRequest req,
      StreamObserver<io.roam.proto.DashboardLogin> out) {
    // The role in the link is the one the caller's certificate proved on this call.
    io.roam.common.security.PeerIdentity who = io.roam.common.security.Authorization.PEER.get();
    inline(() -> {
      requireLeader(); // only the leader serves the page: a standby's refusal names it, and roamctl goes there
      if (dashboard == null) {
        throw MasterException.precondition("the dashboard is off on this master (master.dashboard-port -1)");
      }
      if (who == null || !who.role().isUser()) {
        throw MasterException.precondition("dashboard links are for user certificates (viewer, operator, admin)");
      }
      return dashboard.login(who);
    }, out);
  }

  private io.roam.master.scheduler.ResourceScheduler scheduler() {
    return leader.scheduler().orElseThrow(() -> MasterException.notLeader(
        election.leader().map(LeaderElection.LeaderInfo::address).orElse(null)));
  }

  /** The scheduler's way to move a VM: the checks and the path of `roamctl vm migrate`. */
  public io.roam.master.scheduler.MigrationStarter migrationStarter() {
    return new io.roam.master.scheduler.MigrationStarter() {
      @Override
      public String start(String vm, String toHost) throws Exception {
        try {
          return queues.submit(vm, () -> migrate(MigrateVmRequest.newBuilder().setName(vm).setToHost(toHost).build()))
              .get(120, java.util.concurrent.TimeUnit.SECONDS).getId();
        } catch (java.util.concurrent.ExecutionException e) {
          // The migration's own error, so that the scheduler sees a NotLeaderException as one.
          throw e.getCause() instanceof Exception cause ? cause : e;
        }
      }

      @Override
      public boolean finished(String migrationId, String sourceHost) {
        try {
          HostRecord h = hostsByName().get(sourceHost);
          if (h == null) {
            return true;
          }
          MigrationInfo m = agent(h, AGENT_READ_DEADLINE_MS).getMigration(MigrationId.newBuilder().setId(migrationId)
              .build());
          String st = m.getStatus();
          return st.equals("completed") || st.equals("failed") || st.equals("cancelled");
        } catch (StatusRuntimeException e) {
          return e.getStatus().getCode() == Status.Code.NOT_FOUND;
        } catch (Exception e) {
          return false;
        }
      }
    };
  }

  private long requireLeader() {
    return election.leaderEpoch().orElseThrow(() ->
        MasterException.notLeader(election.leader().map(LeaderElection.LeaderInfo::address).orElse(null)));
  }

  /**
   * The store bound to this master's current leader term: the only store the API writes through.
   * Reads may use the plain store; a write through this one fails with NotLeaderException (so
   * UNAVAILABLE) once another master has taken an epoch, even before this one hears of it.
   */
  private ClusterStore termStore() {
    return leader.store().orElseThrow(() ->
        MasterException.notLeader(election.leader().map(LeaderElection.LeaderInfo::address).orElse(null)));
  }

  private OwnerRecord owner(String vm) throws Exception {
    return store.owner(vm).map(Versioned::value)
        .orElseThrow(() -> MasterException.notFound("VM " + vm + " has no owner record"));
  }

  private HostRecord hostOf(OwnerRecord owner) throws Exception {
    HostRecord h = hostsByName().get(owner.host());
    if (h == null) {
      throw MasterException.precondition("the VM's host " + owner.host() + " is unknown");
    }
    if (!store.isLive(h.name())) {
      throw MasterException.precondition("the VM's host " + h.name() + " is not connected");
    }
    return h;
  }

  private Map<String, HostRecord> hostsByName() throws Exception {
    Map<String, HostRecord> m = new java.util.TreeMap<>();
    store.hosts().forEach(h -> m.put(h.name(), h));
    return m;
  }

  private List<HostLoad> hostLoads(Map<String, HostRecord> hosts) throws Exception {
    return io.roam.master.inventory.HostLoads.read(store, hosts.values());
  }

  private AgentServiceBlockingStub agent(HostRecord host, long deadlineMs) {
    return agents.stub(host, deadlineMs);
  }

  /** An agent's refusal keeps its status code; the message says which host answered. */
  private static RuntimeException fromAgent(String host, RuntimeException e) {
    if (e instanceof StatusRuntimeException s) {
      Status st = s.getStatus();
      if (st.getCode() == Status.Code.UNAVAILABLE || st.getCode() == Status.Code.DEADLINE_EXCEEDED) {
        // Not UNAVAILABLE: roamctl would take it for "try another master".
        return precondition("host " + host + " did not answer: " + describe(s));
      }
      return new MasterException(st.getCode(), st.getDescription() == null ? "host " + host + ": " + st.getCode()
          : st.getDescription());
    }
    return e;
  }

  private static MasterException precondition(String msg) {
    return MasterException.precondition(msg);
  }

  private static String describe(RuntimeException e) {
    if (e instanceof StatusRuntimeException s) {
      return s.getStatus().getCode() + (s.getStatus().getDescription() == null ? "" : " " + s.getStatus().getDescription());
    }
    return e.getMessage();
  }

  /**
   * Answers on the calling gRPC thread: for reads that need no order with other requests (a task,
   * a log, a login link), so they do not wait behind the hosts queue's calls to every agent.
   */
  private static <T> void inline(Callable<T> work, StreamObserver<T> out) {
    T value;
    try {
      value = work.call();
    } catch (Exception e) {
      out.onError(MasterStatuses.toStatus(e));
      return;
    }
    out.onNext(value);
    out.onCompleted();
  }

  private <T> void run(String key, Callable<T> work, StreamObserver<T> out) {
    queues.submit(key, work).whenComplete((v, err) -> {
      if (err != null) {
        out.onError(MasterStatuses.toStatus(err));
      } else {
        out.onNext(v);
        out.onCompleted();
      }
    });
  }
}
