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
import java.net.InetAddress;
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
  private final ChannelCredentials peerCredentials;

  public MigrationService(VmManager vms, Ownership ownership, String hostName, String address, int dataPort)
      throws InterruptedException {
    this(vms, ownership, hostName, address, dataPort, io.roam.agent.cluster.EventSink.NONE);
  }

  public MigrationService(VmManager vms, Ownership ownership, String hostName, String address, int dataPort,
      io.roam.agent.cluster.EventSink events) throws InterruptedException {
    this(vms, ownership, hostName, address, dataPort, events, Liveness.DEFAULT, null);
  }

  /**
   * @param peerCredentials this agent's TLS credentials, for asking a destination agent to prepare
   *     (mutual TLS; the destination's certificate must name its address)
   */
  public MigrationService(VmManager vms, Ownership ownership, String hostName, String address, int dataPort,
      io.roam.agent.cluster.EventSink events, ChannelCredentials peerCredentials) throws InterruptedException {
    this(vms, ownership, hostName, address, dataPort, events, Liveness.DEFAULT, peerCredentials);
  }

  /** With the data plane's keepalive interval and idle timeout given (tests shorten them). */
  MigrationService(VmManager vms, Ownership ownership, String hostName, String address, int dataPort,
      io.roam.agent.cluster.EventSink events, Liveness liveness) throws InterruptedException {
    this(vms, ownership, hostName, address, dataPort, events, liveness, null);
  }

  /** @param peerCredentials null: this service only receives (tests), it cannot start a migration */
  MigrationService(VmManager vms, Ownership ownership, String hostName, String address, int dataPort,
      io.roam.agent.cluster.EventSink events, Liveness liveness, ChannelCredentials peerCredentials)
      throws InterruptedException {
    this.peerCredentials = peerCredentials;
    this.events = events;
    this.vms = vms;
    this.ownership = ownership;
    this.hostName = hostName;
    this.address = address;
    this.receiver = new MigrationReceiver(vms, ownership, hostName, address, dataPort, liveness);
  }

  public int dataPort() {
    return receiver.port();
  }

  /** Starts moving {@code vm} to the agent at destAddress:destPort; returns at once. */
  public MigrationInfo start(String vm, String destName, String destAddress, int destPort, MigrationParams params,
      long masterEpoch) {
    if (destName.equals(hostName)) {
      throw new VmOperationException(VmOperationException.Kind.INVALID, "VM " + vm + " already runs on host " + hostName);
    }
    String id = vm + "-" + Long.toString(System.currentTimeMillis(), 36);
    long memory = vms.describe(vm).spec().memoryBytes();
    Migrator m = new Migrator(id, vm, memory, hostName, address, destName, params,
        (spec, ownerEpoch) -> prepareRemote(destAddress, destPort, spec, ownerEpoch, masterEpoch), ownership, senders);
    CompletableFuture<Boolean> done = vms.migrateOut(vm, id, m);
    synchronized (migrations) {
      migrations.put(id, m);
      trim();
    }
    done.whenComplete((moved, err) -> {
      m.finish(Boolean.TRUE.equals(moved), err);
      MigrationInfo i = m.info();
      String status = i.status().name().toLowerCase(java.util.Locale.ROOT);
      events.event("migration." + status, vm, i.status() == MigrationStatus.COMPLETED
          ? String.format(java.util.Locale.ROOT, "migration %s to %s completed in %d ms, downtime %d ms", id, destName,
              i.totalTimeMillis(), i.downtimeMillis())
          : "migration " + id + " to " + destName + " " + status + ": " + i.error());
    });
    return m.info();
  }

  private Migrator.Prepared prepareRemote(String destAddress, int destPort, VmSpec spec, long ownerEpoch, long masterEpoch) {
    if (peerCredentials == null) {
      throw new IllegalStateException("this migration service has no TLS credentials to reach other agents");
    }
    ManagedChannel ch = peers.computeIfAbsent(destAddress + ":" + destPort,
        t -> NettyChannelBuilder.forTarget(t, peerCredentials).build());
    PrepareMigrationResponse r = AgentServiceGrpc.newBlockingStub(ch).withDeadlineAfter(120, TimeUnit.SECONDS)
        .prepareMigration(PrepareMigrationRequest.newBuilder().setMasterEpoch(masterEpoch)
            .setSpec(io.roam.common.model.VmSpecs.toProto(spec)).setOwnerEpoch(ownerEpoch).setSourceAddress(address).build());
    return new Migrator.Prepared(r.getToken(), r.getDataAddress(), r.getDataPort());
  }

  /** Destination side: get ready to receive {@code spec} from the agent at {@code sourceAddress}. */
  public CompletableFuture<Migrator.Prepared> prepare(VmSpec spec, long ownerEpoch, String sourceAddress) {
    InetAddress source;
    try {
      source = InetAddress.getByName(sourceAddress);
    } catch (java.net.UnknownHostException e) {
      return CompletableFuture.failedFuture(new VmOperationException(VmOperationException.Kind.INVALID,
          "unknown source address " + sourceAddress));
    }
    return vms.prepareIncoming(spec, ownerEpoch).thenApply(v -> new Migrator.Prepared(
        receiver.open(spec.name(), source, ownerEpoch, spec.memoryBytes() / 4096), address, receiver.port()));
  }

  public List<MigrationInfo> list() {
    List<MigrationInfo> out = new ArrayList<>();
    synchronized (migrations) {
      migrations.values().forEach(m -> out.add(m.info()));
    }
    out.sort(Comparator.comparingLong(MigrationInfo::startedAtMillis));
    return out;
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
