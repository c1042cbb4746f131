package io.roam.chaos;

import io.roam.common.ZkPaths;
import io.roam.common.config.RoamKeys;
import io.roam.it.LocalCluster;
import io.roam.it.NetworkNamespaces;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;

/**
 * The cluster a chaos run works on: three ZooKeeper servers, two masters and four agents, each its
 * own process; agents in their own network namespaces when this machine allows it (root, iproute2),
 * else on loopback. Each agent watches its own faults file (-Droam.faults.file), VMs write the step
 * witness. Also the harness's own ZooKeeper client, to find VM endpoints without the masters.
 *
 * <p>Not thread-safe for starting and stopping processes (the round loop does that); {@link
 * #endpoint} may be called from any thread.
 */
public final class ChaosCluster implements AutoCloseable {
  public static final int HOSTS = 4;
  public final LocalCluster local;
  public final NetworkNamespaces net; // null: loopback
  private final int netId;
  private final List<String> hosts = new ArrayList<>();
  private final CuratorFramework zk;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.concurrent.CountDownLatch closedDone = new java.util.concurrent.CountDownLatch(1);
  private Thread teardownOnExit;

  private ChaosCluster(LocalCluster local, NetworkNamespaces net, int netId, CuratorFramework zk) {
    this.local = local;
    this.net = net;
    this.netId = netId;
    this.zk = zk;
  }

  public static ChaosCluster start(Path dir) throws Exception {
    NetworkNamespaces net = null;
    int netId = (int) (ProcessHandle.current().pid() % 200);
    if (NetworkNamespaces.available()) {
      net = new NetworkNamespaces(netId);
      LocalCluster.masterAddress = net.gateway();
    } else {
      LocalCluster.masterAddress = "127.0.0.1";
    }
    LocalCluster.masterOptions = List.of("--drs-interval-ms", "5000", "--drs-demand-window-ms", "10000");
    LocalCluster.agentOptions = witnessOptions();
    LocalCluster c = new LocalCluster(dir);
    ChaosCluster chaos = null;
    try {
      c.zkPort = LocalCluster.freePort();
      c.startZooKeeperEnsemble();
      c.startMaster("master1", c.zkConnect());
      c.startMaster("master2", c.zkConnect());
      quietZooKeeperClientLogs();
      CuratorFramework zk = c.zkClient(10_000, 3_000, new RetryNTimes(3, 500));
      zk.start();
      chaos = new ChaosCluster(c, net, netId, zk);
      chaos.tearDownOnExit();
      for (int i = 1; i <= HOSTS; i++) {
        chaos.hosts.add("host" + i);
        chaos.startHost("host" + i);
      }
      c.awaitConnectedHosts(HOSTS);
      return chaos;
    } catch (Exception | Error e) {
      if (chaos != null) {
        chaos.close();
      } else {
        c.close();
        if (net != null) {
          net.close();
        }
      }
      throw e;
    }
  }

  /**
   * The harness's own ZooKeeper client reconnects through every fault; its warnings would bury the
   * run's output (the cluster's processes keep their logs in their own files).
   */
  private static void quietZooKeeperClientLogs() {
    for (String name : List.of("org.apache.zookeeper", "org.apache.curator")) {
      if (org.slf4j.LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger l) {
        l.setLevel(ch.qos.logback.classic.Level.OFF);
      }
    }
  }

  /**
   * The agent options of a chaos run: the step witness, and a witness line per run of steps
   * (agent.witness-period-ms=0) where this build knows that setting (agents refuse unknown ones).
   */
  static List<String> witnessOptions() {
    List<String> opts = new ArrayList<>();
    RoamKeys.AGENT.stream().filter(k -> k.name().equals("agent.witness-period-ms")).findFirst()
        .ifPresent(k -> opts.addAll(List.of("--" + k.flag(), "0")));
    return opts;
  }

  /** Where agents run: "network namespaces" or "loopback (...)". */
  public String networkMode() {
    return net != null ? "network namespaces (" + net.gateway() + "/24)" : "loopback (no root or iproute2 for namespaces: network cuts are skipped)";
  }

  public List<String> hosts() {
    return hosts;
  }

  public int hostNumber(String host) {
    return Integer.parseInt(host.substring(4));
  }

  private String namespace(String host) {
    return "roam-ch" + netId + "-" + host;
  }

  /** Starts (or starts again) a host's agent, in its namespace when there are namespaces. */
  public void startHost(String host) throws IOException, InterruptedException {
    local.agentJvmOptions = List.of("-Droam.faults.file=" + faultsFile(host));
    if (net == null) {
      local.startAgent(host);
      return;
    }
    String ns = namespace(host);
    int n = 10 + hostNumber(host);
    if (!Files.exists(Path.of("/var/run/netns", ns))) {
      net.add(ns, n);
    }
    local.startAgent(host, NetworkNamespaces.exec(ns), List.of("--address", net.gateway().replaceFirst("\\.1$", "." + n)));
  }

  /** Takes a host's network link down or up (only with namespaces). */
  public void link(String host, boolean up) throws IOException, InterruptedException {
    net.link(namespace(host), 10 + hostNumber(host), up);
  }

  public Path faultsFile(String host) {
    return local.dir.resolve("faults").resolve(host + ".faults");
  }

  /** The file the kv write-ahead log reads its per-force delay from, when VMs run with faults. */
  public Path slowDatastoreFile() {
    return local.datastore().resolve("faults").resolve("slow-datastore");
  }

  public boolean hostAlive(String host) {
    return local.agents.get(host).process.isAlive();
  }

  /** The agent's process and all of its descendants (its VMs). */
  public List<ProcessHandle> hostProcesses(String host) {
    ProcessHandle agent = local.agents.get(host).process.toHandle();
    List<ProcessHandle> all = new ArrayList<>(List.of(agent));
    agent.descendants().forEach(all::add);
    return all;
  }

  /** kill -9 of a host: its agent and VM processes at once. */
  public void killHost(String host) throws InterruptedException {
    LocalCluster.kill(local.agents.get(host));
  }

  /** SIGSTOP (freeze) or SIGCONT of a whole host, agent and VMs together. */
  public void signalHost(String host, String signal) throws IOException, InterruptedException {
    signal(hostProcesses(host), signal);
  }

  public static void signal(List<ProcessHandle> processes, String signal) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("kill", "-" + signal));
    processes.forEach(p -> cmd.add(Long.toString(p.pid())));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    p.waitFor(10, TimeUnit.SECONDS);
  }

  /** The leader master's node, or null when none is known. */
  public LocalCluster.Node leader() {
    try {
      byte[] data = zk.getData().forPath(ZkPaths.LEADER_INFO);
      String s = new String(data, StandardCharsets.UTF_8);
      for (LocalCluster.Node m : local.masters) {
        if (m.process.isAlive() && s.contains(m.address())) {
          return m;
        }
      }
    } catch (Exception e) {
      // no leader right now
    }
    return null;
  }

  /** Starts a master again under the id of one that was killed. */
  public void restartMaster(LocalCluster.Node dead) throws IOException {
    local.masters.remove(dead);
    local.startMaster(dead.name, local.zkConnect());
  }

  /** The VM's published endpoint (host:port), or null. Thread-safe. */
  public String endpoint(String vm) {
    try {
      return new String(zk.getData().forPath(ZkPaths.vmEndpoint(vm)), StandardCharsets.UTF_8);
    } catch (Exception e) {
      return null;
    }
  }

  /** The VM's owner record as stored (JSON), or a word saying why not. */
  public String owner(String vm) {
    try {
      return new String(zk.getData().forPath(ZkPaths.vmOwner(vm)), StandardCharsets.UTF_8);
    } catch (Exception e) {
      return "(unreadable: " + e.getClass().getSimpleName() + ")";
    }
  }

  /**
   * A run stopped by SIGTERM or Ctrl-C (an operator, a CI timeout) still stops every daemon and VM
   * it started and removes its network namespaces, as a normal end does: the JVM's shutdown hooks
   * run on those signals, and close() runs once whichever comes first.
   */
  private void tearDownOnExit() {
    ChaosCluster self = this;
    teardownOnExit = new Thread("chaos-teardown") {
      @Override
      public void run() {
        try {
          System.err.println("roam chaos: stopping; tearing the cluster down");
          self.close();
        } catch (Exception e) {
          System.err.println("roam chaos: teardown: " + e);
        }
      }
    };
    Runtime.getRuntime().addShutdownHook(teardownOnExit);
  }

  @Override
  public void close() throws Exception {
    if (!closed.compareAndSet(false, true)) {
      closedDone.await(); // a signal during a normal close: let that close finish before the JVM exits
      return;
    }
    try {
      closeOnce();
    } finally {
      closedDone.countDown();
    }
  }

  private void closeOnce() throws Exception {
    if (teardownOnExit != null && Thread.currentThread() != teardownOnExit) {
      try {
        Runtime.getRuntime().removeShutdownHook(teardownOnExit);
      } catch (IllegalStateException e) {
        // already shutting down: the hook is running or about to, and finds us closed
      }
    }
    try {
      zk.close();
    } catch (RuntimeException e) {
      // best effort
    }
    // Frozen processes cannot act on SIGTERM: thaw everything first.
    for (String h : hosts) {
      if (local.agents.containsKey(h) && hostAlive(h)) {
        signalHost(h, "CONT");
      }
    }
    for (LocalCluster.Node m : local.masters) {
      if (m.process.isAlive()) {
        signal(List.of(m.process.toHandle()), "CONT");
      }
    }
    try {
      local.close();
    } finally {
      if (net != null) {
        net.close();
      }
      LocalCluster.masterAddress = "127.0.0.1";
      LocalCluster.masterOptions = List.of();
      LocalCluster.agentOptions = List.of();
    }
  }
}
