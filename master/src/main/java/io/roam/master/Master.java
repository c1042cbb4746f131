package io.roam.master;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.roam.common.concurrent.OrderedExecutor;
import io.roam.common.concurrent.ClosingStack;
import io.roam.common.config.Config;
import io.roam.common.config.RoamKeys;
import io.roam.master.api.AgentClients;
import io.roam.master.api.ClusterGrpcService;
import io.roam.master.election.LeaderElection;
import io.roam.master.inventory.CuratorClusterStore;
import io.roam.master.zk.EmbeddedZooKeeper;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * roam-master: an embedded ZooKeeper (when no ensemble is given), the inventory, the leader
 * election and ClusterService. Parts start in order and close in reverse order.
 */
public final class Master implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Master.class);

  private final ClosingStack parts = new ClosingStack();
  private final int port;
  private final String zkConnect;
  private final LeaderElection election;

  public Master(Config config) throws Exception {
    String address = config.get(RoamKeys.MASTER_ADDRESS);
    try {
      String zkConnect = config.get(RoamKeys.ZK);
      if (zkConnect.isBlank()) {
        EmbeddedZooKeeper embedded = new EmbeddedZooKeeper(address, config.get(RoamKeys.ZK_EMBEDDED_PORT),
            Path.of(config.get(RoamKeys.ZK_EMBEDDED_DIR)).toAbsolutePath());
        parts.push(embedded);
        zkConnect = address + ":" + embedded.port();
      }
      this.zkConnect = zkConnect;
      CuratorFramework zk = CuratorFrameworkFactory.builder().connectString(zkConnect)
          .sessionTimeoutMs(config.get(RoamKeys.ZK_SESSION_TIMEOUT_MS))
          .connectionTimeoutMs(Math.min(5_000, config.get(RoamKeys.ZK_SESSION_TIMEOUT_MS)))
          .retryPolicy(new ExponentialBackoffRetry(200, 10, 2_000)).build();
      zk.start();
      parts.push(zk);
      if (!zk.blockUntilConnected(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("cannot reach ZooKeeper at " + zkConnect + " within 30 s");
      }
      CuratorClusterStore store = new CuratorClusterStore(zk);
      AgentClients agents = new AgentClients();
      parts.push(agents);
      ExecutorService ops = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "master-ops");
        t.setDaemon(true);
        return t;
      });
      parts.push(ops::shutdownNow);

      int port = config.get(RoamKeys.MASTER_PORT);
      if (port == 0) {
        port = freePort(address); // the election publishes the address, so it must be known first
      }
      String id = config.get(RoamKeys.MASTER_ID);
      io.roam.master.events.EventLog events = new io.roam.master.events.EventLog(zk);
      java.util.concurrent.ScheduledExecutorService loops = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "leader-loops");
        t.setDaemon(true);
        return t;
      });
      parts.push(loops::shutdownNow);
      boolean haEnabled = config.get(RoamKeys.HA_ENABLED);
      long failoverDelay = config.get(RoamKeys.HA_FAILOVER_DELAY_MS);
      int restartLimit = config.get(RoamKeys.HA_RESTART_LIMIT);
      // Leadership brackets the leader's loops: HA now, DRS and DPM later.
      java.util.concurrent.atomic.AtomicReference<io.roam.master.ha.HaMonitor> ha = new java.util.concurrent.atomic.AtomicReference<>();
      LeaderElection.Listener listener = new LeaderElection.Listener() {
        @Override
        public void establishLeadership(long epoch) {
          LOG.info("establishing leadership at epoch {}", epoch);
          if (haEnabled) {
            ha.set(new io.roam.master.ha.HaMonitor(store, agents, events, epoch, failoverDelay, restartLimit,
                java.time.Clock.systemUTC(), loops));
          }
        }

        @Override
        public void revokeLeadership() {
          LOG.info("leadership revoked");
          io.roam.master.ha.HaMonitor m = ha.getAndSet(null);
          if (m != null) {
            m.close();
          }
        }
      };
      election = new LeaderElection(zk, store, id.isBlank() ? address + ":" + port : id, address + ":" + port, listener);
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress(address, port))
          .addService(new ClusterGrpcService(store, agents, election, new OrderedExecutor(ops), migrationDefaults(config),
              events))
          .build().start();
      parts.push(() -> {
        server.shutdown();
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
          server.shutdownNow();
        }
      });
      this.port = server.getPort();
      election.start();
      parts.push(election);
      LOG.info("master {} serving ClusterService on {}:{} (ZooKeeper {})", election.id(), address, port, zkConnect);
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  private static io.roam.proto.MigrationParams migrationDefaults(Config config) {
    return io.roam.proto.MigrationParams.newBuilder()
        .setDowntimeLimitMs(config.get(RoamKeys.MIGRATION_DOWNTIME_LIMIT_MS))
        .setMaxBandwidthBytesPerSecond(config.get(RoamKeys.MIGRATION_MAX_BANDWIDTH))
        .setNoAutoConverge(!config.get(RoamKeys.MIGRATION_AUTO_CONVERGE))
        .setMaxTotalMs(config.get(RoamKeys.MIGRATION_MAX_TIME_MS)).build();
  }

  private static int freePort(String address) throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(address))) {
      return s.getLocalPort();
    }
  }

  public int port() {
    return port;
  }

  public String zkConnect() {
    return zkConnect;
  }

  public boolean isLeader() {
    return election.leaderEpoch().isPresent();
  }

  @Override
  public void close() {
    parts.close();
  }
}
