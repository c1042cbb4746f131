package io.roam.agent;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.roam.agent.cluster.HostRegistration;
import io.roam.agent.cluster.ZkEndpointPublisher;
import io.roam.agent.cluster.ZkEventSink;
import io.roam.agent.cluster.ZkOwnership;
import io.roam.agent.migration.MigrationService;
import io.roam.agent.fencing.EpochGuard;
import io.roam.agent.fencing.LeaseRenewer;
import io.roam.agent.fencing.SessionGuard;
import io.roam.agent.rpc.AgentGrpcService;
import io.roam.agent.vm.OrphanReaper;
import io.roam.agent.vm.VmLauncher;
import io.roam.agent.vm.VmManager;
import io.roam.common.concurrent.ClosingStack;
import io.roam.common.config.Config;
import io.roam.common.config.RoamKeys;
import io.roam.common.security.AccessTable;
import io.roam.common.security.TlsFiles;
import io.roam.common.model.HostRecord;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * roam-agent: one per host. Starts its parts in order (ZooKeeper client, VM manager, gRPC server,
 * host registration, lease renewal and sampling) and closes them in reverse order.
 */
public final class Agent implements AutoCloseable {
  /**
   * Calls one connection may have open at once: enough for every heartbeat and operation a peer
   * makes, and a ceiling on what one (certified) peer can make this process hold.
   */
  static final int MAX_CALLS_PER_CONNECTION = 256;

  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

  private final ClosingStack parts = new ClosingStack();
  private final String name;
  private final int port;

  /**
   * The ZooKeeper to join. Empty {@code zk}: the embedded server of a master on this machine, on
   * loopback at {@code zk.embedded.port}: with the shipped conf/roam.yaml a master and an agent on one
   * machine find each other with no setting changed. On several machines zk names the ensemble.
   */
  static String zkConnect(Config config) {
    String zk = config.get(RoamKeys.ZK);
    if (!zk.isBlank()) {
      return zk;
    }
    String local = "127.0.0.1:" + config.get(RoamKeys.ZK_EMBEDDED_PORT);
    LOG.info("zk is empty: joining the embedded ZooKeeper of a roam-master on this machine at {} (on several"
        + " machines set zk, --zk or ROAM_ZK to the ensemble)", local);
    return local;
  }

  public Agent(Config config) throws Exception {
    name = config.get(RoamKeys.AGENT_NAME);
    if (!io.roam.common.Names.isValidHostName(name)) { // it names a directory and a ZooKeeper node
      throw new io.roam.common.config.ConfigException("agent.name '" + name + "' is not a host name: use 1 to 63"
          + " letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'");
    }
    String zkConnect = zkConnect(config);
    // Every channel is mutual TLS: no certificate, no agent (checked before anything starts).
    TlsFiles tls = TlsFiles.fromConfig(config);
    String address = config.get(RoamKeys.AGENT_ADDRESS);
    long leaseMs = config.get(RoamKeys.AGENT_LEASE_MS);
    Path dataDir = Path.of(config.get(RoamKeys.AGENT_DATA_DIR)).toAbsolutePath();
    Path datastore = Path.of(config.get(RoamKeys.AGENT_DATASTORE)).toAbsolutePath();
    Files.createDirectories(dataDir);
    Files.createDirectories(datastore);
    Path runDir = dataDir.resolve("run");
    // Before anything else: a memory or socket directory another user controls stops the agent (exit 2).
    Path memoryBase = io.roam.agent.vm.PrivateDirectory.ensure(Path.of(config.get(RoamKeys.AGENT_MEMORY_DIR)),
        "memory directory");
    io.roam.agent.vm.PrivateDirectory.ensure(memoryBase.resolve(name), "memory directory");
    // Mistakes of a host's set-up that would fail much later: say what to change now (exit 2).
    StartupChecks.require(StartupChecks.ownAddressProblem(address, StartupChecks.localAddresses()));
    StartupChecks.require(StartupChecks.memoryRoomProblem(memoryBase, config.get(RoamKeys.AGENT_MEMORY)));
    StartupChecks.require(StartupChecks.vmPoolProblem(config.get(RoamKeys.AGENT_VM_POOL_SIZE),
        config.get(RoamKeys.AGENT_VM_POOL_MAX)));
    io.roam.agent.vm.PrivateDirectory.ensure(runDir, "socket directory");
    int reaped = OrphanReaper.reap(runDir);
    if (reaped > 0) {
      LOG.warn("killed {} VM process(es) left by an earlier run", reaped);
    }
    io.roam.agent.net.VmAddresses vmAddresses = vmAddresses(name, config.get(RoamKeys.AGENT_VM_INTERFACE),
        dataDir.resolve("vm-addresses"));
    vmAddresses.clearLeftovers(); // after the reaping: no VM of an earlier run answers here any more
    try {
      CuratorFramework zk = io.roam.common.zk.ZkTls.secure(CuratorFrameworkFactory.builder(), tls).connectString(zkConnect)
          .sessionTimeoutMs(config.get(RoamKeys.ZK_SESSION_TIMEOUT_MS))
          .connectionTimeoutMs(Math.min(5_000, config.get(RoamKeys.ZK_SESSION_TIMEOUT_MS)))
          .retryPolicy(new ExponentialBackoffRetry(200, 10, 2_000)).build();
      zk.getConnectionStateListenable().addListener((c, state) -> LOG.info("ZooKeeper connection {}", state));
      zk.start();
      parts.push(zk);
      io.prometheus.metrics.model.registry.PrometheusRegistry metrics = io.roam.common.metrics.Registries.withJvmMetrics();
      io.roam.common.metrics.ZooKeeperSessionMetrics.register(zk, metrics);
      if (!zk.blockUntilConnected(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("cannot reach ZooKeeper at " + zkConnect + " within 30 s"
            + (config.get(RoamKeys.ZK).isBlank() ? " (zk is empty, so the agent looks for the embedded server of a"
            + " roam-master on this machine: start that first, or set zk to your ensemble)" : ""));
      }
      int negotiated = io.roam.common.zk.GrantedSession.timeoutMs(zk, java.time.Duration.ofSeconds(30));
      java.util.Optional<String> badTiming = io.roam.common.config.LeaseRule.sessionTimeoutProblem(negotiated, leaseMs);
      if (badTiming.isPresent()) {
        throw new io.roam.common.config.ConfigException(badTiming.get()); // one line, exit code 2
      }
      LOG.info(io.roam.common.config.LeaseRule.agentStatement(leaseMs, negotiated));

      requireSharedDatastore(zk, datastore);

      ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "agent-scheduler");
        t.setDaemon(true);
        return t;
      });
      parts.push(scheduler::shutdownNow);

      long memory = config.get(RoamKeys.AGENT_MEMORY);
      ZkEndpointPublisher endpoints = new ZkEndpointPublisher(zk);
      parts.push(endpoints);
      ZkEventSink events = new ZkEventSink(zk, name, config.get(RoamKeys.EVENTS_KEEP));
      ZkOwnership ownership = new ZkOwnership(zk,
          new io.roam.agent.cluster.MasterOwnerFence(zk, tls.channelCredentials(), name));
      VmLauncher launcher = new VmLauncher(config.get(RoamKeys.AGENT_VM_HEAP), address, datastore,
          config.get(RoamKeys.AGENT_WITNESS) ? name : null, config.get(RoamKeys.AGENT_WITNESS_PERIOD_MS),
          config.get(RoamKeys.AGENT_VM_LOG_MAX_BYTES), config.get(RoamKeys.AGENT_VM_LOG_FILES));
      // VM JVMs boot faster from a class data sharing archive, made once per agent in the background.
      String cdsDir = config.get(RoamKeys.AGENT_VM_CDS_DIR);
      Path cdsPath = cdsDir.isBlank() ? dataDir.resolve("cds") : Path.of(cdsDir).toAbsolutePath();
      Thread cds = new Thread(() -> launcher.prepareClassDataArchive(cdsPath), "vm-cds");
      cds.setDaemon(true);
      cds.start();
      VmManager vms = new VmManager(new VmManager.Settings(name, memoryBase.resolve(name),
          runDir, dataDir.resolve("logs"), memory, leaseMs,
          io.roam.agent.vm.ProgramJars.parse(config.get(RoamKeys.AGENT_JAR_DIRS))), launcher,
          endpoints, ownership, events, vmAddresses);
      parts.push(vms);
      vms.vouchLeasesWith(() -> Long.MIN_VALUE); // no lease to give until the session guard below runs
      // VM JVMs started ahead of need: a start (an HA restart) takes one instead of launching a JVM.
      io.roam.agent.vm.VmProcessPool vmPool = new io.roam.agent.vm.VmProcessPool(launcher,
          runDir.resolve(OrphanReaper.POOL_DIR), dataDir.resolve("logs").resolve("vm-pool").resolve("pool.log"),
          config.get(RoamKeys.AGENT_VM_POOL_SIZE), config.get(RoamKeys.AGENT_VM_POOL_MAX),
          io.roam.agent.vm.VmProcessPool.DEFAULT_QUIET);
      launcher.usePool(vmPool);
      parts.push(vmPool);

      MigrationService migrations = new MigrationService(vms, ownership, name, address,
          config.get(RoamKeys.AGENT_MIGRATION_PORT), events, io.roam.agent.migration.DataPlaneSecurity.of(
              tls, io.roam.agent.migration.MigrationEncryption.parse(config.get(RoamKeys.MIGRATION_ENCRYPTION))),
          tls.channelCredentials(), new io.roam.agent.cluster.ZkHostDirectory(zk));
      parts.push(migrations);
      migrations.onFinished(new io.roam.agent.metrics.MigrationMetrics(name, metrics));
      io.roam.agent.metrics.AgentMetrics.register(new io.roam.agent.metrics.AgentMetrics.Source(name,
          config.get(RoamKeys.AGENT_CORES), vms::list, vms::memoryCapacity, vms::memoryCommitted, migrations::list), metrics);
      ExecutorService calls = io.roam.common.concurrent.BoundedPools.of("agent-grpc", 64);
      parts.push(calls::shutdownNow);
      io.roam.agent.cluster.DatastoreProbe datastoreProbe = parts.push(new io.roam.agent.cluster.DatastoreProbe(
          datastore, name));
      // grpc.health.v1 for container health checks: SERVING once the agent is registered and renewing leases.
      io.grpc.protobuf.services.HealthStatusManager health = new io.grpc.protobuf.services.HealthStatusManager();
      health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING);
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress(address, config.get(RoamKeys.AGENT_PORT)),
              tls.serverCredentials())
          .executor(calls).maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION)
          .addService(AccessTable.authorization().guard(health.getHealthService()))
          .addService(AccessTable.authorization().guard(new AgentGrpcService(vms, new EpochGuard(dataDir.resolve("master-epoch"),
              new io.roam.agent.cluster.ZkTakenEpochs(zk)), name, migrations,
              shutdownAction(config.get(RoamKeys.AGENT_SHUTDOWN_COMMAND)), shutdownDescription(
                  config.get(RoamKeys.AGENT_SHUTDOWN_COMMAND)), datastoreProbe)))
          .build().start();
      parts.push(() -> {
        server.shutdown();
        server.awaitTermination(5, TimeUnit.SECONDS);
      });
      port = server.getPort();
      // Before registering: the record publishes the metrics port (an ephemeral one is found there).
      java.util.Optional<io.roam.common.metrics.MetricsEndpoint> metricsEndpoint = io.roam.common.metrics.MetricsEndpoint
          .start(tls, address, config.get(RoamKeys.AGENT_METRICS_PORT), metrics);
      metricsEndpoint.ifPresent(parts::push);
      int metricsPort = metricsEndpoint.map(io.roam.common.metrics.MetricsEndpoint::port).orElse(0);
      LOG.info(metricsPort == 0 ? "metrics: no endpoint (agent.metrics-port -1)"
          : "metrics: Prometheus endpoint https://" + address + ":" + metricsPort + "/metrics (client certificate of"
              + " the cluster CA, role viewer or above)");

      HostRecord record = new HostRecord(name, address, port, config.get(RoamKeys.AGENT_CORES), memory, datastore.toString(),
          vmAddresses.managed(), metricsPort); // placement sends VMs with an address only to hosts that manage them
      parts.push(new HostRegistration(zk, record, config.get(RoamKeys.ZK_SESSION_TIMEOUT_MS) + 5_000L));
      SessionGuard guard = parts.push(new SessionGuard(zk, leaseMs, vms, ownership, scheduler));
      vms.vouchLeasesWith(guard::leaseDeadlineMillis); // first leases as renewals: from the last contact
      parts.push(new LeaseRenewer(vms, guard::leaseDeadlineMillis, leaseMs, scheduler));
      parts.push(new io.roam.agent.cluster.HeartbeatSender(zk, vms, name, record.cores(), datastore,
          tls.channelCredentials(), vmPool::advise));
      var stats = scheduler.scheduleAtFixedRate(vms::pollStats, 1, 1, TimeUnit.SECONDS);
      var dirty = scheduler.scheduleAtFixedRate(vms::sampleDirtyRates, 2, 2, TimeUnit.SECONDS);
      var deadCopies = scheduler.scheduleWithFixedDelay(vms::destroyCrashedCopiesOwnedElsewhere, 5, 5,
          TimeUnit.SECONDS);
      parts.push(() -> {
        stats.cancel(false);
        dirty.cancel(false);
        deadCopies.cancel(false);
      });
      health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
      parts.push(health::enterTerminalState); // closed first: NOT_SERVING while the rest shuts down
      LOG.info("agent {} serving on {}:{} with {} cores and {} of guest memory", name, address, port, record.cores(),
          io.roam.common.Sizes.format(memory));
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  /**
   * Whether this host can hold VM addresses, said in one log line at start-up: the interface named
   * by agent.vm-interface exists and the agent has CAP_NET_ADMIN ({@link
   * io.roam.agent.net.AddressCapability}); else VMs with an address are refused here.
   */
  private static io.roam.agent.net.VmAddresses vmAddresses(String host, String iface, Path ledger) {
    java.util.Optional<String> problem = io.roam.agent.net.AddressCapability.ofThisProcess(iface);
    if (problem.isPresent()) {
      if (iface.isBlank()) {
        LOG.info("VM addresses: not managed on this host (agent.vm-interface is not set); VMs with an address of their"
            + " own are refused here");
      } else {
        LOG.warn("VM addresses: cannot manage them on interface {}: {}; VMs with an address of their own are refused"
            + " here", iface, problem.get());
      }
    } else {
      LOG.info("VM addresses: VMs' own addresses go on interface {}", iface);
    }
    return new io.roam.agent.net.VmAddresses(host, problem, new io.roam.agent.net.IpCommands(iface), ledger);
  }

  /**
   * Another live host's heartbeat file must be on this agent's datastore. A host that has just
   * registered may not have written its first heartbeat (once a second) yet, so a few are awaited.
   */
  private void requireSharedDatastore(CuratorFramework zk, Path datastore) throws Exception {
    java.util.List<String> others = new java.util.ArrayList<>();
    if (zk.checkExists().forPath(io.roam.common.ZkPaths.HOSTS) != null) {
      for (String host : zk.getChildren().forPath(io.roam.common.ZkPaths.HOSTS)) {
        if (!host.equals(name) && zk.checkExists().forPath(io.roam.common.ZkPaths.hostLive(host)) != null) {
          others.add(host);
        }
      }
    }
    java.util.Optional<String> problem = StartupChecks.sharedDatastoreProblem(datastore, others);
    for (int i = 0; i < 10 && problem.isPresent(); i++) {
      Thread.sleep(500);
      problem = StartupChecks.sharedDatastoreProblem(datastore, others);
    }
    StartupChecks.require(problem);
  }

  private static String shutdownDescription(String command) {
    return command.isBlank() ? "the agent process exits" : "running the shutdown command";
  }

  /**
   * Powering the host off through the agent: the configured command (e.g. "systemctl poweroff"),
   * or, with none, the agent process exits (its shutdown hook closes the agent and its VMs).
   */
  private static Runnable shutdownAction(String command) {
    return () -> {
      try {
        Thread.sleep(200); // let the answer reach the master
        if (command.isBlank()) {
          LOG.warn("powered off by the master: exiting");
          System.exit(0);
        }
        LOG.warn("powered off by the master: running {}", command);
        new ProcessBuilder("/bin/sh", "-c", command).inheritIO().start().waitFor();
      } catch (Exception e) {
        LOG.error("shutdown failed: {}", e.toString());
      }
    };
  }

  public String name() {
    return name;
  }

  public int port() {
    return port;
  }

  @Override
  public void close() {
    parts.close();
  }
}
