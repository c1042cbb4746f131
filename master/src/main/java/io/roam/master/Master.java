package io.roam.master;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.roam.common.concurrent.OrderedExecutor;
import io.roam.common.concurrent.ClosingStack;
import io.roam.common.config.Config;
import io.roam.common.config.ConfigException;
import io.roam.common.config.LeaseRule;
import io.roam.common.config.RoamKeys;
import io.roam.common.security.AccessTable;
import io.roam.common.security.Authorization;
import io.roam.common.security.TlsFiles;
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
  /**
   * Calls one connection may have open at once: enough for every heartbeat and operation a peer
   * makes, and a ceiling on what one (certified) peer can make this process hold.
   */
  static final int MAX_CALLS_PER_CONNECTION = 256;

  private static final Logger LOG = LoggerFactory.getLogger(Master.class);

  private final ClosingStack parts = new ClosingStack();
  private final int port;
  private final int metricsPort;
  private final int dashboardPort;
  private final String zkConnect;
  private final LeaderElection election;

  public Master(Config config) throws Exception {
    String address = config.get(RoamKeys.MASTER_ADDRESS);
    long leaseMs = config.get(RoamKeys.AGENT_LEASE_MS);
    LeaseRule.failoverDelayProblem(config.get(RoamKeys.HA_FAILOVER_DELAY_MS), leaseMs).ifPresent(p -> {
      throw new ConfigException(p);
    });
    TlsFiles tls = TlsFiles.fromConfig(config); // every channel is mutual TLS: no certificate, no master
    Authorization authorization = AccessTable.authorization();
    io.roam.master.power.PowerDriverCatalog powerDrivers = powerDrivers(config);
    try {
      String zkConnect = config.get(RoamKeys.ZK);
      if (zkConnect.isBlank()) {
        EmbeddedZooKeeper embedded = new EmbeddedZooKeeper(address, config.get(RoamKeys.ZK_EMBEDDED_PORT),
            Path.of(config.get(RoamKeys.ZK_EMBEDDED_DIR)).toAbsolutePath(), tls);
        parts.push(embedded);
        zkConnect = address + ":" + embedded.port();
      }
      this.zkConnect = zkConnect;
      CuratorFramework zk = io.roam.common.zk.ZkTls.secure(CuratorFrameworkFactory.builder(), tls).connectString(zkConnect)
          .sessionTimeoutMs(config.get(RoamKeys.ZK_SESSION_TIMEOUT_MS))
          .connectionTimeoutMs(Math.min(5_000, config.get(RoamKeys.ZK_SESSION_TIMEOUT_MS)))
          .retryPolicy(new ExponentialBackoffRetry(200, 10, 2_000)).build();
      zk.start();
      parts.push(zk);
      io.prometheus.metrics.model.registry.PrometheusRegistry registry = io.roam.common.metrics.Registries.withJvmMetrics();
      io.roam.common.metrics.ZooKeeperSessionMetrics.register(zk, registry);
      io.roam.master.metrics.MasterMetrics metrics = new io.roam.master.metrics.MasterMetrics(registry);
      if (!zk.blockUntilConnected(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("cannot reach ZooKeeper at " + zkConnect + " within 30 s");
      }
      checkSessionTimeout(zk, config.get(RoamKeys.ZK_SESSION_TIMEOUT_MS), leaseMs,
          config.get(RoamKeys.HA_FAILOVER_DELAY_MS));
      CuratorClusterStore store = new CuratorClusterStore(zk);
      AgentClients agents = new AgentClients(tls.channelCredentials());
      parts.push(agents);
      ExecutorService ops = io.roam.common.concurrent.BoundedPools.of("master-ops", 256);
      parts.push(ops::shutdownNow);
      // One queue per VM, for the API and HA alike; a task's log lines carry its VM (keys starting with
      // NUL are the API's own queues, for hosts and checks, not VMs).
      OrderedExecutor queues = new OrderedExecutor(ops, key -> key.startsWith("\0") ? java.util.Map.of()
          : java.util.Map.of(io.roam.common.logging.LogContext.VM, key));

      int port = config.get(RoamKeys.MASTER_PORT);
      if (port == 0) {
        port = freePort(address); // the election publishes the address, so it must be known first
      }
      String id = config.get(RoamKeys.MASTER_ID);
      io.roam.master.events.EventLog events = new io.roam.master.events.EventLog(zk, config.get(RoamKeys.EVENTS_KEEP));
      events.onAppend(metrics.eventCounter());
      io.roam.master.events.ClusterWatch watch = parts.push(new io.roam.master.events.ClusterWatch(zk, events, queues)).start();
      java.util.concurrent.ScheduledExecutorService loops = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "leader-loops");
        t.setDaemon(true);
        return t;
      });
      parts.push(loops::shutdownNow);
      java.util.concurrent.ScheduledExecutorService schedulerLoop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "drs-dpm");
        t.setDaemon(true);
        return t;
      });
      parts.push(schedulerLoop::shutdownNow);
      LeaderTerm.Settings termSettings = termSettings(config, powerDrivers);
      io.roam.master.hosts.LoadHistory load = new io.roam.master.hosts.LoadHistory(
          Math.max(config.get(RoamKeys.DRS_DEMAND_WINDOW_MS), 60_000L) + 10_000);
      java.util.concurrent.atomic.AtomicReference<LeaderTerm> term = new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.atomic.AtomicReference<ClusterGrpcService> api = new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.atomic.AtomicReference<io.roam.master.dashboard.Dashboard> dashboard =
          new java.util.concurrent.atomic.AtomicReference<>(); // started below, before the election
      java.util.concurrent.atomic.AtomicReference<io.roam.master.hosts.HeartbeatGrpcService> heartbeats =
          new java.util.concurrent.atomic.AtomicReference<>();
      // The leader's HA writes it, the heartbeat acknowledgements carry each agent's figure.
      io.roam.master.ha.PoolAdvice poolAdvice = new io.roam.master.ha.PoolAdvice();
      // Leadership brackets the leader's loops: host monitor, HA, DRS and DPM.
      LeaderElection.Listener listener = new LeaderElection.Listener() {
        @Override
        public void establishLeadership(long epoch) throws Exception {
          LOG.info("establishing leadership at epoch {}", epoch);
          term.set(new LeaderTerm(epoch, store, agents, events, load, api.get().migrationStarter(), queues, termSettings,
              java.time.Clock.systemUTC(), loops, schedulerLoop, metrics, poolAdvice));
          metrics.leadershipEstablished(epoch);
          schedulerLoop.execute(() -> io.roam.common.zk.ZkAclRepair.repairAndLog(zk));
        }

        @Override
        public void revokeLeadership() {
          LOG.info("leadership revoked");
          LeaderTerm t = term.getAndSet(null);
          if (t != null) {
            t.close();
            metrics.leadershipRevoked();
          }
          if (heartbeats.get() != null) {
            heartbeats.get().endAll();
          }
        }
      };
      election = new LeaderElection(zk, store, id.isBlank() ? address + ":" + port : id, address + ":" + port, listener);
      io.roam.master.api.LeaderState leaderState = new io.roam.master.api.LeaderState() {
        @Override
        public java.util.Optional<io.roam.master.scheduler.ResourceScheduler> scheduler() {
          return java.util.Optional.ofNullable(term.get()).map(LeaderTerm::scheduler);
        }

        @Override
        public java.util.Optional<io.roam.master.hosts.HostStatus> host(String name) {
          return java.util.Optional.ofNullable(term.get()).flatMap(t -> t.host(name));
        }

        @Override
        public java.util.Optional<io.roam.master.inventory.ClusterStore> store() {
          return java.util.Optional.ofNullable(term.get()).map(LeaderTerm::store);
        }
      };
      api.set(new ClusterGrpcService(store, agents, election, queues, events, leaderState, load,
          ClusterGrpcService.Settings.of(migrationDefaults(config), config.get(RoamKeys.HA_HOST_FAILURES),
                  config.get(RoamKeys.DRS_DEMAND_WINDOW_MS))
              .withPowerDrivers(powerDrivers).withAddressPool(config.get(RoamKeys.VM_ADDRESS_POOL))
              .withChecker(clusterChecker(config, store, leaderState, load, agents, powerDrivers, ops))
              .withDashboard(config.get(RoamKeys.MASTER_DASHBOARD_PORT) == -1 ? null : who -> dashboard.get().login(who))));
      api.get().serveWatches(watch);
      io.roam.master.tasks.Tasks tasks = parts.push(new io.roam.master.tasks.Tasks(new io.roam.master.tasks.TaskStore(store,
          leaderState::store), store, java.time.Clock.systemUTC())).start();
      watch.onChange(tasks::poke);
      api.get().serveTasks(tasks);
      heartbeats.set(new io.roam.master.hosts.HeartbeatGrpcService(election, load, java.time.Clock.systemUTC(),
          poolAdvice::forHost));
      ExecutorService calls = io.roam.common.concurrent.BoundedPools.of("master-grpc", 64);
      parts.push(calls::shutdownNow);
      // grpc.health.v1 for container health checks: SERVING once the election runs, leader or standby.
      io.grpc.protobuf.services.HealthStatusManager health = new io.grpc.protobuf.services.HealthStatusManager();
      health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING);
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress(address, port), tls.serverCredentials())
          .executor(calls).maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION)
          .addService(authorization.guard(api.get()))
          .addService(authorization.guard(heartbeats.get()))
          .addService(authorization.guard(new io.roam.master.api.OwnershipGrpcService(zk)))
          .addService(authorization.guard(health.getHealthService()))
          .build().start();
      parts.push(() -> {
        server.shutdown();
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
          server.shutdownNow();
        }
      });
      this.port = server.getPort();
      registry.register(new io.roam.master.metrics.ClusterCollector(new io.roam.master.metrics.ClusterCollector.View() {
        @Override
        public boolean leading() {
          return term.get() != null;
        }

        @Override
        public java.util.List<io.roam.proto.HostInfo> hosts() throws Exception {
          return api.get().describeHosts();
        }

        @Override
        public java.util.Optional<io.roam.master.scheduler.SchedulerStatus> scheduler() {
          return leaderState.scheduler().map(io.roam.master.scheduler.ResourceScheduler::status);
        }
      }));
      java.util.Optional<io.roam.common.metrics.MetricsEndpoint> metricsEndpoint = io.roam.common.metrics.MetricsEndpoint
          .start(tls, address, config.get(RoamKeys.MASTER_METRICS_PORT), registry);
      metricsEndpoint.ifPresent(parts::push);
      this.metricsPort = metricsEndpoint.map(io.roam.common.metrics.MetricsEndpoint::port).orElse(0);
      LOG.info(metricsPort == 0 ? "metrics: no endpoint (master.metrics-port -1)"
          : "metrics: Prometheus endpoint https://" + address + ":" + metricsPort + "/metrics (client certificate of"
              + " the cluster CA, role viewer or above)");
      if (config.get(RoamKeys.MASTER_DASHBOARD_PORT) != -1) {
        dashboard.set(new io.roam.master.dashboard.Dashboard(tls, address, config.get(RoamKeys.MASTER_DASHBOARD_PORT),
            api.get(), election, zk, events, new io.roam.master.dashboard.DashboardTokens(java.time.Clock.systemUTC()),
            config.get(RoamKeys.HA_ENABLED), config.get(RoamKeys.HA_HOST_FAILURES), java.time.Clock.systemUTC()));
        parts.push(dashboard.get());
      }
      this.dashboardPort = dashboard.get() == null ? 0 : dashboard.get().port();
      LOG.info(dashboardPort == 0 ? "dashboard: off (master.dashboard-port -1)" : "dashboard: https://" + address + ":"
          + dashboardPort + "/ while this master leads (`roamctl dashboard` prints a login link)");
      election.start();
      parts.push(election);
      health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
      parts.push(health::enterTerminalState); // closed first: NOT_SERVING while the rest shuts down
      LOG.info("master {} serving ClusterService on {}:{} (ZooKeeper {})", election.id(), address, port, zkConnect);
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  /**
   * The session the server granted, not the one asked for, must be at least the lease: the server
   * clamps it to its own bounds, and agents on the same ensemble get the same clamp.
   */
  private static void checkSessionTimeout(CuratorFramework zk, int askedMs, long leaseMs, long failoverDelayMs)
      throws Exception {
    int negotiated = io.roam.common.zk.GrantedSession.timeoutMs(zk, java.time.Duration.ofSeconds(30));
    LeaseRule.check(leaseMs, negotiated, failoverDelayMs).ifPresent(p -> {
      throw new ConfigException(p);
    });
    LOG.info(LeaseRule.statement(leaseMs, negotiated, failoverDelayMs));
    if (negotiated != askedMs) {
      LOG.warn("ZooKeeper granted a session timeout of {} ms (asked for {} ms)", negotiated, askedMs);
    }
  }

  /**
   * `roamctl cluster check`. Its power control only asks drivers for their status, which needs no
   * leader epoch (the epoch is the wol driver's power off through the agent, never called here).
   */
  private static io.roam.master.check.ClusterChecker clusterChecker(Config config, CuratorClusterStore store,
      io.roam.master.api.LeaderState leader, io.roam.master.hosts.LoadHistory load, AgentClients agents,
      io.roam.master.power.PowerDriverCatalog powerDrivers, ExecutorService calls) {
    return new io.roam.master.check.ClusterChecker(store, leader::host, load.reports(), agents,
        new io.roam.master.power.StoredPowerControl(store, agents, powerDrivers, config.get(RoamKeys.POWER_IPMITOOL), 0),
        calls, java.time.Clock.systemUTC(), io.roam.common.time.Monotonic::millis,
        config.get(RoamKeys.CHECK_MAX_CLOCK_SKEW_MS), config.get(RoamKeys.HA_HEARTBEAT_TIMEOUT_MS));
  }

  /** The configured power drivers, checked now so that a mistake in the file stops the master at start-up. */
  private static io.roam.master.power.PowerDriverCatalog powerDrivers(Config config) {
    String file = config.get(RoamKeys.POWER_DRIVERS);
    io.roam.master.power.PowerDriverCatalog catalog = file.isBlank() ? io.roam.master.power.PowerDriverCatalog.none()
        : new io.roam.master.power.PowerDriverCatalog(Path.of(file).toAbsolutePath());
    try {
      catalog.load();
    } catch (io.roam.master.power.PowerException e) {
      throw new ConfigException(e.getMessage());
    }
    return catalog;
  }

  private static LeaderTerm.Settings termSettings(Config config, io.roam.master.power.PowerDriverCatalog powerDrivers) {
    io.roam.master.drs.Automation automation = parseEnum(io.roam.master.drs.Automation.class,
        config.get(RoamKeys.DRS_AUTOMATION), "drs.automation", "manual, partial or full");
    if (automation == io.roam.master.drs.Automation.DISABLED) {
      throw new IllegalArgumentException("drs.automation: disabled is a per-VM setting; use manual, partial or full");
    }
    io.roam.master.dpm.DpmLevel level = parseEnum(io.roam.master.dpm.DpmLevel.class, config.get(RoamKeys.DPM_LEVEL),
        "dpm.level", "off, manual or automatic");
    int target = config.get(RoamKeys.DPM_TARGET_PERCENT);
    int tolerance = config.get(RoamKeys.DPM_TOLERANCE_PERCENT);
    if (target + tolerance > 100 || target - tolerance < 0) {
      throw new IllegalArgumentException("dpm.target-percent ± dpm.tolerance-percent must stay within 0..100, got "
          + target + " ± " + tolerance);
    }
    io.roam.master.drs.DrsSettings drs = new io.roam.master.drs.DrsSettings(config.get(RoamKeys.DRS_THRESHOLD),
        automation, java.util.Map.of(), config.get(RoamKeys.DRS_MAX_MOVES_PER_HOST), config.get(RoamKeys.DRS_MAX_MOVES),
        config.get(RoamKeys.DRS_HYSTERESIS_MS), 0.25);
    io.roam.master.dpm.DpmSettings dpm = new io.roam.master.dpm.DpmSettings(level, java.util.Map.of(), target / 100.0,
        tolerance / 100.0, config.get(RoamKeys.DPM_POWER_ON_WINDOW_MS), config.get(RoamKeys.DPM_POWER_OFF_WINDOW_MS),
        config.get(RoamKeys.HA_HOST_FAILURES), config.get(RoamKeys.DPM_MIN_HOSTS));
    return new LeaderTerm.Settings(config.get(RoamKeys.HA_ENABLED), config.get(RoamKeys.HA_FAILOVER_DELAY_MS),
        config.get(RoamKeys.HA_RESTART_LIMIT), config.get(RoamKeys.HA_VM_HEARTBEAT_TIMEOUT_MS),
        config.get(RoamKeys.HA_HEARTBEAT_TIMEOUT_MS),
        config.get(RoamKeys.DRS_DEMAND_WINDOW_MS), powerDrivers, config.get(RoamKeys.POWER_IPMITOOL),
        new io.roam.master.scheduler.ResourceScheduler.Settings(drs, dpm, config.get(RoamKeys.DRS_INTERVAL_MS),
            config.get(RoamKeys.DPM_WAKE_TIMEOUT_MS)));
  }

  private static <E extends Enum<E>> E parseEnum(Class<E> type, String value, String key, String allowed) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": unknown value '" + value + "'; use " + allowed);
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

  /** The port of the Prometheus endpoint, 0 when it is turned off. */
  public int metricsPort() {
    return metricsPort;
  }

  /** The port of the web dashboard, 0 when it is turned off. */
  public int dashboardPort() {
    return dashboardPort;
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
