package io.roam.agent.migration;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.roam.agent.vm.VmManager;
import io.roam.agent.vm.VmOperationException;
import io.roam.common.model.VmSpec;
import io.roam.proto.AgentServiceGrpc;
import io.roam.proto.PrepareMigrationRequest;
import io.roam.proto.PrepareMigrationResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * This agent's migrations: the ones it sends (started by the master, kept with their statistics)
 * and, through its {@link MigrationReceiver}, the ones it receives.
 */
public final class MigrationService implements AutoCloseable {
  private static final int KEEP_FINISHED = 200;

  private final VmManager vms;
  private final Ownership ownership;
  private final String hostName;
  private final String address;
  private final MigrationReceiver receiver;
  private final EventLoopGroup senders = Transports.group(2);
  private final Map<String, Migrator> migrations = new LinkedHashMap<>();
  private final Map<String, ManagedChannel> peers = new ConcurrentHashMap<>();

  private final io.roam.agent.cluster.EventSink events;
  private final DataPlaneSecurity security;
  private final HostDirectory hosts;
  private final ChannelCredentials peerCredentials;
  /** Told of every migration this agent sent once it ends (the metrics); called on the finishing thread. */
  private final List<java.util.function.Consumer<MigrationInfo>> finished = new java.util.concurrent.CopyOnWriteArrayList<>();

  public MigrationService(VmManager vms, Ownership ownership, String hostName, String address, int dataPort,
      DataPlaneSecurity security) throws InterruptedException {
    this(vms, ownership, hostName, address, dataPort, io.roam.agent.cluster.EventSink.NONE, security);
  }

  public MigrationService(VmManager vms, Ownership ownership, String hostName, String address, int dataPort,
      io.roam.agent.cluster.EventSink events, DataPlaneSecurity security) throws InterruptedException {
    this(vms, ownership, hostName, address, dataPort, events, security, Liveness.DEFAULT);
  }

  /** With the data plane's keepalive interval and idle timeout given (tests shorten them). */
  MigrationService(VmManager vms, Ownership ownership, String hostName, String address, int dataPort,
      io.roam.agent.cluster.EventSink events, DataPlaneSecurity security, Liveness liveness) throws InterruptedException {
    this(vms, ownership, hostName, address, dataPort, events, security, liveness, null, HostDirectory.NONE);
  }

  /**
   * @param peerCredentials this agent's TLS credentials, for asking a destination agent to prepare
   *     (mutual TLS; the destination's certificate must name its address)
   * @param hosts where destinations are: a migration goes only to a host's registered address
   */
  public MigrationService(VmManager vms, Ownership ownership, String hostName, String address, int dataPort,
      io.roam.agent.cluster.EventSink events, DataPlaneSecurity security, ChannelCredentials peerCredentials,
      HostDirectory hosts) throws InterruptedException {
    this(vms, ownership, hostName, address, dataPort, events, security, Liveness.DEFAULT, peerCredentials, hosts);
  }

  /** @param peerCredentials null: this service only receives (tests), it cannot start a migration */
  MigrationService(VmManager vms, Ownership ownership, String hostName, String address, int dataPort,
      io.roam.agent.cluster.EventSink events, DataPlaneSecurity security, Liveness liveness,
      ChannelCredentials peerCredentials, HostDirectory hosts) throws InterruptedException {
    this.hosts = hosts;
    this.peerCredentials = peerCredentials;
    this.events = events;
    this.security = security;
    this.vms = vms;
    this.ownership = ownership;
    this.hostName = hostName;
    this.address = address;
    this.receiver = new MigrationReceiver(vms, ownership, hostName, address, dataPort, security, liveness);
  }

  public int dataPort() {
    return receiver.port();
  }

  /**
   * Starts moving {@code vm} to host {@code destName}; returns at once. The destination's address
   * is the one its agent registered ({@link HostDirectory}), for the prepare call and the data
   * plane alike; {@code claimedAddress}/{@code claimedPort} (what the request said, empty/0 when
   * it said nothing) must match it, or the request is refused and nothing changes: an address in
   * a request is the caller's word, and a caller who could choose it would receive the VM.
   */
  public MigrationInfo start(String vm, String destName, String claimedAddress, int claimedPort,
      MigrationParams params, long masterEpoch) {
    return start(vm, destName, claimedAddress, claimedPort, params, masterEpoch, null);
  }

  /**
   * As above; with a {@code checkpointInterval} this starts FT protection instead (DESIGN.md "Fault
   * tolerance"): the destination becomes the VM's hot secondary, and the "migration" runs until it
   * is cancelled (FT off) or the secondary is lost.
   */
  public MigrationInfo start(String vm, String destName, String claimedAddress, int claimedPort,
      MigrationParams params, long masterEpoch, Duration checkpointInterval) {
    boolean ft = checkpointInterval != null;
    if (destName.equals(hostName)) {
      throw new VmOperationException(VmOperationException.Kind.INVALID, "VM " + vm + " already runs on host " + hostName);
    }
    HostDirectory.Peer dest = destination(destName);
    if (!claimedAddress.isEmpty() && !claimedAddress.equals(dest.address())
        || claimedPort != 0 && claimedPort != dest.port()) {
      throw new VmOperationException(VmOperationException.Kind.INVALID, "host " + destName + " is registered at "
          + dest.address() + ":" + dest.port() + ", not " + claimedAddress + ":" + claimedPort
          + "; a migration goes only to a host's registered address");
    }
    String destAddress = dest.address();
    int destPort = dest.port();
    String id = (ft ? "ft-" : "") + vm + "-" + Long.toString(System.currentTimeMillis(), 36);
    long memory = vms.describe(vm).spec().memoryBytes();
    Migrator m = new Migrator(id, vm, memory, hostName, address, destName, params,
        (spec, ownerEpoch) -> prepareRemote(destAddress, destPort, spec, ownerEpoch, masterEpoch, ft), ownership,
        senders, security);
    if (ft) {
      m.protecting(checkpointInterval, events);
    }
    CompletableFuture<Boolean> done;
    // The migration's work runs on the VM's queue, which adds the VM and host and carries this id.
    try (var ids = io.roam.common.logging.LogContext.with(io.roam.common.logging.LogContext.MIGRATION, id)) {
      done = vms.migrateOut(vm, id, m);
    }
    synchronized (migrations) {
      migrations.put(id, m);
      trim();
    }
    done.whenComplete((moved, err) -> {
      m.finish(Boolean.TRUE.equals(moved), err);
      MigrationInfo i = m.info();
      finished.forEach(f -> f.accept(i));
      String status = i.status().name().toLowerCase(java.util.Locale.ROOT);
      if (ft) {
        CheckpointStats.Snapshot c = m.checkpoints();
        events.event("ft.ended", vm, "protection by the secondary on " + destName + " ended after " + c.checkpoints()
            + " checkpoints (pause median " + c.pauseMedianMicros() + " us, p99 " + c.pauseP99Micros() + " us): "
            + (err == null ? i.error() : err.getMessage()));
        return;
      }
      events.event("migration." + status, vm, i.status() == MigrationStatus.COMPLETED
          ? String.format(java.util.Locale.ROOT, "migration %s to %s completed in %d ms, downtime %d ms", id, destName,
              i.totalTimeMillis(), i.downtimeMillis())
          : "migration " + id + " to " + destName + " " + status + ": " + i.error());
    });
    return m.info();
  }

  private HostDirectory.Peer destination(String destName) {
    try {
      return hosts.find(destName).orElseThrow(() -> new VmOperationException(VmOperationException.Kind.NOT_FOUND,
          "no host " + destName + " is registered in the cluster"));
    } catch (VmOperationException e) {
      throw e;
    } catch (Exception e) {
      throw new VmOperationException(VmOperationException.Kind.INTERNAL, "cannot look up host " + destName
          + " in ZooKeeper: " + e.getMessage());
    }
  }

  private Migrator.Prepared prepareRemote(String destAddress, int destPort, VmSpec spec, long ownerEpoch, long masterEpoch,
      boolean secondary) {
    if (peerCredentials == null) {
      throw new IllegalStateException("this migration service has no TLS credentials to reach other agents");
    }
    ManagedChannel ch = peers.computeIfAbsent(destAddress + ":" + destPort,
        t -> NettyChannelBuilder.forTarget(t, peerCredentials).build());
    PrepareMigrationResponse r = AgentServiceGrpc.newBlockingStub(ch).withDeadlineAfter(120, TimeUnit.SECONDS)
        .prepareMigration(PrepareMigrationRequest.newBuilder().setMasterEpoch(masterEpoch)
            .setSpec(io.roam.common.model.VmSpecs.toProto(spec)).setOwnerEpoch(ownerEpoch).setSourceAddress(address)
            .setSourceHost(hostName).setSecondary(secondary).build());
    // The data plane goes to the destination's registered address too, whatever the answer says.
    return new Migrator.Prepared(r.getToken(), destAddress, r.getDataPort(), r.getDestMemoryFileUs(),
        r.getDestJvmUs());
  }

  /**
   * Destination side: get ready to receive {@code spec} from the agent of host {@code sourceHost};
   * the data plane accepts only a peer whose agent certificate names that host.
   */
  public CompletableFuture<Migrator.Prepared> prepare(VmSpec spec, long ownerEpoch, String sourceHost) {
    return prepare(spec, ownerEpoch, sourceHost, false);
  }

  /**
   * FT, on the secondary's host: as {@link #prepare}, for a hot secondary that checkpoints keep up
   * to date and only {@link #promote} resumes.
   */
  public CompletableFuture<Migrator.Prepared> prepareSecondary(VmSpec spec, long ownerEpoch, String sourceHost) {
    return prepare(spec, ownerEpoch, sourceHost, true);
  }

  private CompletableFuture<Migrator.Prepared> prepare(VmSpec spec, long ownerEpoch, String sourceHost,
      boolean secondary) {
    if (sourceHost == null || sourceHost.isBlank()) {
      return CompletableFuture.failedFuture(new VmOperationException(VmOperationException.Kind.INVALID,
          "the migration names no source host"));
    }
    if (sourceHost.equals(hostName)) {
      return CompletableFuture.failedFuture(new VmOperationException(VmOperationException.Kind.INVALID,
          "a migration from host " + hostName + " to itself"));
    }
    return vms.prepareIncomingTimed(spec, ownerEpoch).thenApply(v -> new Migrator.Prepared(
        receiver.open(spec.name(), sourceHost, ownerEpoch, spec.memoryBytes() / 4096, secondary), address,
        receiver.port(), v.memoryFileMicros(), v.jvmMicros()));
  }

  /** FT failover on the secondary's host: resumes the hot secondary of {@code vm} (see {@link MigrationReceiver#promote}). */
  public CompletableFuture<VmManager.CommittedIncoming> promote(String vm) {
    return receiver.promote(vm);
  }

  /** FT: the state of the hot secondary of {@code vm} here ("protected at checkpoint 12"), or null. */
  public String secondaryState(String vm) {
    return receiver.secondaryState(vm);
  }

  /** Calls {@code listener} with the final statistics of every migration this agent sends from now on. */
  public void onFinished(java.util.function.Consumer<MigrationInfo> listener) {
    finished.add(listener);
  }

  public List<MigrationInfo> list() {
    List<MigrationInfo> out = new ArrayList<>();
    synchronized (migrations) {
      migrations.values().forEach(m -> out.add(m.info()));
    }
    out.sort(Comparator.comparingLong(MigrationInfo::startedAtMillis));
    return out;
  }

  /** FT: the checkpoint statistics of protection {@code id}, or null when it is a migration. */
  public CheckpointStats.Snapshot checkpoints(String id) {
    Migrator m = find(id);
    return id.startsWith("ft-") ? m.checkpoints() : null;
  }

  public MigrationInfo get(String id) {
    return find(id).info();
  }

  public MigrationInfo cancel(String id) {
    Migrator m = find(id);
    if (m.info().status().isFinal()) {
      throw new VmOperationException(VmOperationException.Kind.BAD_STATE, "migration " + id + " has already "
          + m.info().status().name().toLowerCase(java.util.Locale.ROOT));
    }
    m.cancel();
    return m.info();
  }

  private Migrator find(String id) {
    synchronized (migrations) {
      Migrator m = migrations.get(id);
      if (m == null) {
        throw new VmOperationException(VmOperationException.Kind.NOT_FOUND, "no migration " + id + " on host " + hostName);
      }
      return m;
    }
  }

  private void trim() {
    var it = migrations.values().iterator();
    int excess = migrations.size() - KEEP_FINISHED;
    while (excess > 0 && it.hasNext()) {
      if (it.next().info().status().isFinal()) {
        it.remove();
        excess--;
      }
    }
  }

  @Override
  public void close() {
    receiver.close();
    senders.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    peers.values().forEach(ManagedChannel::shutdownNow);
  }
}
