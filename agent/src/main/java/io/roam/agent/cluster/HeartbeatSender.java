package io.roam.agent.cluster;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.roam.agent.vm.VmManager;
import io.roam.agent.vm.VmView;
import io.roam.common.DatastoreHeartbeats;
import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.proto.HeartbeatAck;
import io.roam.proto.HeartbeatServiceGrpc;
import io.roam.proto.HostHeartbeat;
import io.roam.proto.VmLoad;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every second: sends the leader master a heartbeat with the host's load samples over one gRPC
 * stream, and touches this host's heartbeat file on the datastore. The stream follows the leader:
 * when it breaks (the leader died, or this master is not the leader) the next tick finds the
 * leader again in ZooKeeper. The datastore file lets the leader tell a dead host from one that is
 * only cut off from ZooKeeper (isolated). The stream is mutual TLS: the agent's certificate says
 * which host it may report for, the leader's must name the address it published.
 */
public final class HeartbeatSender implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HeartbeatSender.class);

  private final CuratorFramework zk;
  private final VmManager vms;
  private final String host;
  private final int cores;
  private final Path datastore;
  private final ScheduledFuture<?> task;
  private long seq;
  private ManagedChannel channel;
  /** The agent's certificate: the leader accepts heartbeats for this host only from it. */
  private final ChannelCredentials credentials;
  private StreamObserver<HostHeartbeat> stream;
  private volatile boolean broken = true;
  private String lastProblem = "";
  private final java.util.function.IntConsumer poolAdvice;

  private final ScheduledExecutorService thread = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "heartbeats");
    t.setDaemon(true);
    return t;
  });

  /** Runs on its own thread: a slow ZooKeeper read must not delay the lease renewals. */
  public HeartbeatSender(CuratorFramework zk, VmManager vms, String host, int cores, Path datastore,
      ChannelCredentials credentials) throws IOException {
    this(zk, vms, host, cores, datastore, credentials, advice -> {});
  }

  /** @param poolAdvice told the leader's VM pool advice from each acknowledgement (gRPC's thread; must not block) */
  public HeartbeatSender(CuratorFramework zk, VmManager vms, String host, int cores, Path datastore,
      ChannelCredentials credentials, java.util.function.IntConsumer poolAdvice) throws IOException {
    this.poolAdvice = poolAdvice;
    this.credentials = credentials;
    this.zk = zk;
    this.vms = vms;
    this.host = host;
    this.cores = cores;
    this.datastore = datastore;
    this.task = thread.scheduleWithFixedDelay(this::tick, 0, 1, TimeUnit.SECONDS);
  }

  private synchronized void tick() {
    seq++;
    touchDatastore();
    try {
      send();
    } catch (RuntimeException e) {
      report(e.toString());
      reset();
    }
  }

  private void touchDatastore() {
    try {
      DatastoreHeartbeats.write(datastore, host, seq);
    } catch (IOException e) {
      report("cannot write the datastore heartbeat under " + datastore + ": " + e.getMessage());
    }
  }

  private void send() {
    if (broken) {
      // Only a broken stream sends us looking: a master that loses leadership ends its streams.
      String leader = findLeader();
      if (leader == null) {
        report("no leader master yet");
        return;
      }
      reset();
      int colon = leader.lastIndexOf(':');
      channel = NettyChannelBuilder.forAddress(leader.substring(0, colon), Integer.parseInt(leader.substring(colon + 1)),
          credentials).build();
      broken = false;
      stream = HeartbeatServiceGrpc.newStub(channel).heartbeat(new StreamObserver<>() {
        @Override
        public void onNext(HeartbeatAck ack) {
          poolAdvice.accept(ack.getVmPoolAdvice());
        }

        @Override
        public void onError(Throwable t) {
          broken = true;
          report("heartbeat stream to " + leader + " broke: " + t.getMessage());
        }

        @Override
        public void onCompleted() {
          broken = true;
        }
      });
      LOG.info("sending heartbeats to leader master {}", leader);
    }
    HostHeartbeat.Builder hb = HostHeartbeat.newBuilder().setHost(host).setSeq(seq)
        .setTimeMs(System.currentTimeMillis()).setCores(cores).setMemoryBytes(vms.memoryCapacity());
    for (VmView v : vms.list()) {
      hb.addVms(VmLoad.newBuilder().setName(v.spec().name()).setCpuNanos(v.cpuNanos())
          .setCpuWaitNanos(v.cpuWaitNanos())
          .setDirtyPagesPerSecond(v.dirtyPagesPerSecond()).setMemoryBytes(v.spec().memoryBytes())
          .setState(io.roam.agent.rpc.AgentProtos.toProto(v.state())).setHeartbeat(v.heartbeat())
          .setLeaseExpired(v.leaseExpired()).setMigrationId(v.migrationId()).setOwnerEpoch(v.ownerEpoch()));
    }
    stream.onNext(hb.build());
    lastProblem = "";
  }

  private String findLeader() {
    try {
      byte[] info = zk.getData().forPath(ZkPaths.LEADER_INFO);
      return Json.mapper().readTree(info).path("address").asText(null);
    } catch (KeeperException.NoNodeException e) {
      return null;
    } catch (Exception e) {
      report("cannot read the leader from ZooKeeper: " + e.getMessage());
      return null;
    }
  }

  /** Logs a problem once, not every second. */
  private void report(String problem) {
    if (!problem.equals(lastProblem)) {
      LOG.warn("{}", problem);
      lastProblem = problem;
    }
  }

  private void reset() {
    if (stream != null) {
      try {
        stream.onCompleted();
      } catch (RuntimeException e) {
        // already broken
      }
      stream = null;
    }
    if (channel != null) {
      channel.shutdownNow();
      channel = null;
    }
    broken = true;
  }

  @Override
  public void close() {
    task.cancel(false);
    thread.shutdownNow();
    synchronized (this) {
      reset();
    }
  }
}
