package io.roam.it;

import static org.awaitility.Awaitility.await;

import io.roam.common.security.PkiDirectory;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import io.roam.master.cli.Roamctl;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real cluster on this machine for tests: masters and agents as separate JVM processes (the
 * first master runs the embedded ZooKeeper), each with its own folder, all on free loopback ports.
 * Secure like any cluster: a CA in {@code dir/pki} issues each master and agent a certificate for
 * the address it serves at, and roamctl runs as an admin user.
 */
public final class LocalCluster implements AutoCloseable {
  public final Path dir;
  public final Path memoryDir;
  public int zkPort;
  public final List<Node> masters = new ArrayList<>();
  public final Map<String, Node> agents = new LinkedHashMap<>();
  /** The cluster's CA and every certificate it issued (masters, agents, users). */
  public final PkiDirectory pki;

  /** One process of the cluster. */
  public static final class Node {
    public final String name;
    public final int port;
    public final Process process;
    public final Path log;

    Node(String name, int port, Process process, Path log) {
      this.name = name;
      this.port = port;
      this.process = process;
      this.log = log;
    }

    public String address() {
      return masterAddress + ":" + port;
    }
  }

  /** What a roamctl run printed, and its exit code. */
  public record Result(int exit, String out, String err) {}

  public LocalCluster(Path dir) throws IOException {
    this.dir = dir;
    this.memoryDir = Path.of("/dev/shm", "roam-it-" + UUID.randomUUID());
    this.pki = PkiDirectory.open(dir.resolve("pki"), "it");
  }

  /** The TLS files of a user with {@code role} (issued on first use). */
  public TlsFiles user(Role role, String name) throws IOException {
    return pki.peer(role, name, List.of());
  }

  /** The admin user roamctl runs as in {@link #ctl}. */
  public TlsFiles admin() {
    try {
      return user(Role.ADMIN, "admin");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A gRPC channel to {@code target} presenting {@code identity}'s certificate (callers shut it down). */
  public static io.grpc.ManagedChannel channel(String target, TlsFiles identity) throws IOException {
    return io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(target, identity.channelCredentials()).build();
  }

  /** One master running the embedded ZooKeeper, and {@code agentCount} agents. */
  public static LocalCluster start(Path dir, int agentCount) throws Exception {
    return start(dir, agentCount, c -> c.startMaster("master1", ""));
  }

  /**
   * A cluster whose ZooKeeper runs in its own process, so that any master can be killed: the
   * masters join it with --zk.
   */
  public static LocalCluster startWithExternalZooKeeper(Path dir, int masterCount, int agentCount) throws Exception {
    return start(dir, agentCount, c -> {
      c.startExternalZooKeeper();
      for (int i = 1; i <= masterCount; i++) {
        c.startMaster("master" + i, c.zkConnect());
      }
    });
  }

  private interface Masters {
    void start(LocalCluster c) throws IOException;
  }

  private static LocalCluster start(Path dir, int agentCount, Masters masters) throws Exception {
    LocalCluster c = new LocalCluster(dir);
    try {
      c.zkPort = freePort();
      masters.start(c);
      for (int i = 1; i <= agentCount; i++) {
        c.startAgent("host" + i);
      }
      c.awaitConnectedHosts(agentCount);
      return c;
    } catch (Exception | Error e) {
      c.close();
      throw e;
    }
  }

  /** Starts {@link #zooKeeper}: one ZooKeeper server in its own process, on {@link #zkPort}, TLS as Roam's. */
  public void startExternalZooKeeper() throws IOException {
    io.roam.common.security.TlsFiles zkTls = tls(io.roam.common.security.Role.ZOOKEEPER, "zookeeper");
    zooKeeper = spawn("zookeeper", zkPort, "io.roam.it.ZkServerMain",
        List.of(Integer.toString(zkPort), dir.resolve("zk").toString(), zkTls.ca().toString(),
            zkTls.cert().toString(), zkTls.key().toString()));
  }

  /** The ZooKeeper process of {@link #startWithExternalZooKeeper}, else null. */
  public Node zooKeeper;

  /**
   * Address masters (and their embedded ZooKeeper) bind, for clusters started from now on: a
   * bridge address when some agents live in network namespaces.
   */
  public static String masterAddress = "127.0.0.1";

  /** Extra master options for masters started from now on, e.g. --drs-interval-ms 3000. */
  public static List<String> masterOptions = List.of();
  /** Extra agent options for agents started from now on, e.g. --cores 1. */
  public static List<String> agentOptions = List.of();

  /**
   * A certificate of this cluster's CA for {@code role} {@code name}, valid for {@link #masterAddress}
   * and loopback (for processes that are not masters or agents: ZooKeeper servers, test clients).
   */
  public io.roam.common.security.TlsFiles tls(Role role, String name) throws IOException {
    return pki.peer(role, name, new ArrayList<>(new java.util.LinkedHashSet<>(List.of(masterAddress, "127.0.0.1",
        "localhost"))));
  }

  /** A ZooKeeper client (not started) for tests that look into ZooKeeper, with a master's certificate. */
  public org.apache.curator.framework.CuratorFramework zkClient(int sessionMs, int connectionMs,
      org.apache.curator.RetryPolicy retry) {
    try {
      return io.roam.common.zk.ZkTls.secure(org.apache.curator.framework.CuratorFrameworkFactory.builder(),
          tls(io.roam.common.security.Role.MASTER, "test-client")).connectString(zkConnect()).sessionTimeoutMs(sessionMs)
          .connectionTimeoutMs(connectionMs).retryPolicy(retry).build();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public Node startMaster(String id, String zk) throws IOException {
    int port = freePort();
    if (!Files.exists(powerDriversFile())) {
      Files.createDirectories(dir);
      Files.writeString(powerDriversFile(), "# power drivers of this cluster's hosts (LocalCluster.definePowerDriver)\n");
    }
    int metricsPort = freePort(); // masters are found by their address: a known port, as for --port
    masterMetricsPorts.put(id, metricsPort);
    int dashboardPort = freePort();
    masterDashboardPorts.put(id, dashboardPort);
    List<String> args = new ArrayList<>(List.of("--id", id, "--port", Integer.toString(port),
        "--metrics-port", Integer.toString(metricsPort), "--dashboard-port", Integer.toString(dashboardPort), "--zk-session-timeout-ms", Integer.toString(sessionTimeoutMs), "--address", masterAddress,
        "--power-drivers", powerDriversFile().toString()));
    args.addAll(masterOptions);
    args.addAll(PkiDirectory.daemonFlags(pki.peer(Role.MASTER, id, List.of(masterAddress, "127.0.0.1", "localhost"))));
    if (zk.isEmpty()) {
      args.addAll(List.of("--zk-port", Integer.toString(zkPort), "--zk-dir", dir.resolve("zk").toString()));
    } else {
      args.addAll(List.of("--zk", zk));
    }
    Node n = spawn(id, port, "io.roam.master.MasterMain", args);
    masters.add(n);
    return n;
  }

  /** Each master's Prometheus endpoint port, by id. Agents take any free one (--metrics-port 0) and publish it. */
  public final Map<String, Integer> masterMetricsPorts = new LinkedHashMap<>();
  /** Each master's web dashboard port, by id (a known port, as for metrics). */
  public final Map<String, Integer> masterDashboardPorts = new LinkedHashMap<>();

  /** ZooKeeper session timeout of the processes started from now on (default: zk.session-timeout-ms's). */
  public static int sessionTimeoutMs = io.roam.common.config.RoamKeys.ZK_SESSION_TIMEOUT_MS.defaultValue();
  /** Agent guest memory for clusters started from now on (tests: 1GiB; benchmarks: more). */
  public static String agentMemory = "1GiB";
  /** Extra JVM options for agents started from now on, e.g. -Droam.faults=... */
  public List<String> agentJvmOptions = defaultAgentJvmOptions;
  /**
   * The class data sharing archive of VM JVMs, shared by every agent of every cluster on this machine
   * (keyed by JDK and jars): made once per build, not once per agent of each test.
   */
  public static final Path VM_CDS_DIR = Path.of(System.getProperty("java.io.tmpdir"), "roam-it-vm-cds");

  /** Waits (at most {@code timeout}) for an agent to have made the VMs' class data sharing archive; false if none did. */
  public static boolean awaitVmClassDataArchive(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try (java.util.stream.Stream<Path> files = Files.list(VM_CDS_DIR)) {
        if (files.anyMatch(f -> f.getFileName().toString().endsWith(".jsa"))) {
          return true;
        }
      } catch (IOException e) {
        // not made yet
      }
      Thread.sleep(200);
    }
    return false;
  }

  /** JVM options of every master and agent of clusters started from now on (e.g. a logback configuration). */
  public static List<String> daemonJvmOptions = List.of();

  /** {@link #agentJvmOptions} of clusters started from now on (soak runs: small heaps). */
  public static List<String> defaultAgentJvmOptions = List.of();

  public Node startAgent(String name) throws IOException {
    return startAgent(name, List.of(), List.of());
  }

  /**
   * Starts an agent whose command is run through {@code prefix} (e.g. ip netns exec NS) with
   * {@code extraArgs} (e.g. its own --address).
   */
  public Node startAgent(String name, List<String> prefix, List<String> extraArgs) throws IOException {
    int port = freePort();
    List<String> args = new ArrayList<>(agentArgs(name, port));
    args.addAll(extraArgs);
    args.addAll(PkiDirectory.daemonFlags(pki.peer(Role.AGENT, name, List.of(addressOption(args), "localhost"))));
    List<String> command = new ArrayList<>(prefix);
    command.addAll(command("io.roam.agent.AgentMain", args));
    Node n = spawn(name, port, command);
    agents.put(name, n);
    // What the process power driver needs to stop and start this agent as a host.
    Files.createDirectories(dir.resolve("pids"));
    Files.writeString(pidFile(name), Long.toString(n.process.pid()));
    agentCommands.put(name, command);
    return n;
  }

  /** The value of the last --address in {@code args} (what the agent serves at), else its default. */
  private static String addressOption(List<String> args) {
    String address = "127.0.0.1";
    for (int i = 0; i + 1 < args.size(); i++) {
      if (args.get(i).equals("--address")) {
        address = args.get(i + 1);
      }
    }
    return address;
  }

  /** Each agent's full command line, as started. */
  public final Map<String, List<String>> agentCommands = new LinkedHashMap<>();

  /** The masters' power.drivers file (the masters read it at each use, so drivers can be added later). */
  public Path powerDriversFile() {
    return dir.resolve("power-drivers.yaml");
  }

  /**
   * Defines, in the masters' configuration, a process power driver named after {@code agent} that
   * stops and starts that agent with the command line it was started with; select it with
   * {@code roamctl host power-driver AGENT --name AGENT}.
   */
  public void definePowerDriver(String agent) throws IOException {
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    String line = agent + ": {driver: process, command: " + json.writeValueAsString(agentCommands.get(agent))
        + ", pid-file: " + json.writeValueAsString(pidFile(agent).toString()) + "}\n";
    Files.writeString(powerDriversFile(), line, java.nio.file.StandardOpenOption.APPEND);
  }

  public Path pidFile(String agent) {
    return dir.resolve("pids").resolve(agent + ".pid");
  }

  private List<String> agentArgs(String name, int port) {
    List<String> args = new ArrayList<>(List.of("--name", name, "--port", Integer.toString(port),
        "--metrics-port", "0", "--zk", zkConnect(), "--zk-session-timeout-ms", Integer.toString(sessionTimeoutMs), "--memory", agentMemory,
        "--vm-heap", "32MiB", "--vm-cds-dir", VM_CDS_DIR.toString(), "--memory-dir", memoryDir.toString(),
        "--data-dir", dir.resolve(name).toString(),
        "--datastore", datastore().toString(), "--witness", "true", "--jar-dirs", programsDir().toString()));
    args.addAll(agentOptions);
    return args;
  }

  /** The directory the agents run user programs (--jar) from (agent.jar-dirs). */
  public Path programsDir() {
    return dir.resolve("programs");
  }

  public Path datastore() {
    return dir.resolve("datastore");
  }

  /** The ZooKeeper connect string: the embedded server, or every server of an ensemble. */
  public String zkConnect() {
    if (!ensemblePorts.isEmpty()) {
      return String.join(",", ensemblePorts.stream().map(p -> masterAddress + ":" + p).toList());
    }
    return masterAddress + ":" + zkPort;
  }

  /** Client ports of the ensemble's servers (empty without an ensemble). */
  public final List<Integer> ensemblePorts = new ArrayList<>();
  public final List<Node> ensemble = new ArrayList<>();

  /**
   * A cluster on a three-server ZooKeeper ensemble, each server its own process, so that a test can
   * kill one and the quorum lives on.
   */
  public static LocalCluster startWithZooKeeperEnsemble(Path dir, int masterCount, int agentCount) throws Exception {
    return start(dir, agentCount, c -> {
      c.startZooKeeperEnsemble();
      for (int i = 1; i <= masterCount; i++) {
        c.startMaster("master" + i, c.zkConnect());
      }
    });
  }

  /** Each ensemble server's command line, to start it again after a kill. */
  public final List<List<String>> ensembleCommands = new ArrayList<>();

  /**
   * Starts a three-server ZooKeeper ensemble, each server its own process, on {@link #masterAddress}
   * (so that agents in network namespaces reach it too); {@link #zkConnect} names all three.
   */
  public void startZooKeeperEnsemble() throws IOException {
    int[][] ports = new int[3][3];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        ports[i][j] = freePort();
      }
      ensemblePorts.add(ports[i][0]);
    }
    for (int i = 0; i < 3; i++) {
      Path data = dir.resolve("zk" + (i + 1));
      Files.createDirectories(data);
      Files.writeString(data.resolve("myid"), Integer.toString(i + 1));
      StringBuilder cfg = new StringBuilder("tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir=" + data
          + "\nsecureClientPort=" + ports[i][0] + "\nsecureClientPortAddress=" + masterAddress
          + "\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\n" + ensembleTlsSettings("zk" + (i + 1), data));
      for (int k = 0; k < 3; k++) {
        cfg.append("server.").append(k + 1).append("=").append(masterAddress).append(":").append(ports[k][1])
            .append(":").append(ports[k][2]).append("\n");
      }
      Path file = data.resolve("zoo.cfg");
      Files.writeString(file, cfg);
      List<String> cmd = command("org.apache.zookeeper.server.quorum.QuorumPeerMain", List.of(file.toString()));
      ensembleCommands.add(cmd);
      ensemble.add(spawn("zk" + (i + 1), ports[i][0], cmd));
    }
  }

  /**
   * The zoo.cfg lines that make an ensemble server serve Roam's clients: TLS only (no clientPort),
   * client certificates of the cluster CA required, and Roam's authentication providers (the
   * roam-common jar on the server's class path) so that Roam's ACLs mean what they say. The key
   * store is one PEM file with the server's key and certificate.
   */
  private String ensembleTlsSettings(String name, Path data) throws IOException {
    io.roam.common.security.TlsFiles t = tls(io.roam.common.security.Role.ZOOKEEPER, name);
    Path keyStore = data.resolve("zk-keystore.pem");
    Files.writeString(keyStore, Files.readString(t.key()) + Files.readString(t.cert()));
    Files.setPosixFilePermissions(keyStore, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    return "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n"
        + "ssl.keyStore.location=" + keyStore + "\nssl.keyStore.type=PEM\n"
        + "ssl.trustStore.location=" + t.ca() + "\nssl.trustStore.type=PEM\n"
        + "ssl.clientAuth=need\nssl.clientHostnameVerification=false\n"
        + "authProvider.roam=io.roam.common.zk.RoamZkAuthenticationProvider\n"
        + "authProvider.roampath=io.roam.common.zk.RoamZkPathProvider\n"
        + "authProvider.roamowner=io.roam.common.zk.RoamZkOwnerProvider\n"
        + "ssl.authProvider=roam\n";
  }

  /** Starts ensemble server {@code index} (0-based) again after it was killed, with its data. */
  public Node restartZooKeeperServer(int index) throws IOException {
    Node n = spawn("zk" + (index + 1), ensemblePorts.get(index), ensembleCommands.get(index));
    ensemble.set(index, n);
    return n;
  }

  public String masterAddresses() {
    return String.join(",", masters.stream().filter(m -> m.process.isAlive()).map(Node::address).toList());
  }

  /** A VM as `roamctl -o json vm show` gives it. */
  public com.fasterxml.jackson.databind.JsonNode vm(String name) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(ctl("-o", "json", "vm", "show", name).out());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Asserts that a roamctl run succeeded, showing its error output if not. */
  public static void ok(Result r) {
    org.assertj.core.api.Assertions.assertThat(r.exit()).as(r.err()).isZero();
  }

  /** Runs roamctl in this JVM against the live masters. */
  public Result ctl(String... args) {
    return ctlAt(masterAddresses(), args);
  }

  /** Runs roamctl in this JVM against the given master addresses only. */
  public Result ctlAt(String masters, String... args) {
    return ctlAs(admin(), masters, args);
  }

  /** Runs roamctl in this JVM as the user of {@code identity}, against the given master addresses. */
  public Result ctlAs(TlsFiles identity, String masters, String... args) {
    List<String> all = new ArrayList<>(List.of("--master", masters, "--timeout", "60", "--tls-ca", identity.ca().toString(),
        "--tls-cert", identity.cert().toString(), "--tls-key", identity.key().toString()));
    all.addAll(List.of(args));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Roamctl.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * Waits until {@code n} hosts are connected. 120 s: a fresh cluster on two loaded cores starts
   * a master, agents and their pooled VM JVMs at once. On a timeout the failure carries what
   * `host ls` last said and every node's log tail, since the nodes' logs go with the test's
   * temporary directory (a CI run once timed out at 60 s with nothing to read).
   */
  public void awaitConnectedHosts(int n) {
    Result[] last = {null};
    try {
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> {
        for (Node node : allNodes()) {
          if (!node.process.isAlive()) {
            throw new IllegalStateException(node.name + " exited with " + node.process.exitValue() + ":\n" + tail(node.log));
          }
        }
        Result r = ctl("host", "ls");
        last[0] = r;
        return r.exit() == 0 && r.out().lines().filter(l -> l.contains(" connected ")).count() >= n;
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      StringBuilder why = new StringBuilder(n + " hosts not connected in 120 s; host ls said: "
          + (last[0] == null ? "nothing" : last[0].exit() + " " + last[0].out() + last[0].err()));
      for (Node node : allNodes()) {
        why.append("\n--- ").append(node.name).append(" ---\n").append(tail(node.log));
      }
      throw new AssertionError(why.toString(), e);
    }
  }

  private List<Node> allNodes() {
    List<Node> all = new ArrayList<>(masters);
    all.addAll(agents.values());
    return all;
  }

  private Node spawn(String name, int port, String main, List<String> args) throws IOException {
    return spawn(name, port, command(main, args));
  }

  private List<String> command(String main, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m"));
    cmd.addAll(daemonJvmOptions);
    if (main.endsWith("AgentMain")) {
      cmd.addAll(agentJvmOptions);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
    cmd.addAll(args);
    return cmd;
  }

  private Node spawn(String name, int port, List<String> cmd) throws IOException {
    Files.createDirectories(dir.resolve("logs"));
    Path log = dir.resolve("logs").resolve(name + ".log");
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    return new Node(name, port, p, log);
  }

  public static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Kills a process at once, as a crash would. */
  public static void kill(Node n) throws InterruptedException {
    n.process.descendants().forEach(ProcessHandle::destroyForcibly);
    n.process.destroyForcibly();
    n.process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Agents a power driver started again (their pids are in the pid files) are not ours to wait for. */
  private void stopRestartedAgents() {
    for (String name : agents.keySet()) {
      try {
        long pid = Long.parseLong(Files.readString(pidFile(name)).trim());
        if (pid != agents.get(name).process.pid()) {
          ProcessHandle.of(pid).ifPresent(h -> {
            h.descendants().forEach(ProcessHandle::destroyForcibly);
            h.destroy();
            h.onExit().orTimeout(15, TimeUnit.SECONDS).exceptionally(t -> {
              h.destroyForcibly();
              return h;
            }).join();
          });
        }
      } catch (IOException | RuntimeException e) {
        // no pid file, or the process is gone
      }
    }
  }

  /** Copies the cluster's logs to target/it-logs/, so that a failed run can be read afterwards. */
  private void keepLogs() {
    Path logs = dir.resolve("logs");
    Path to = Path.of("target", "it-logs", dir.getFileName().toString());
    try (Stream<Path> files = Files.exists(logs) ? Files.list(logs) : Stream.empty()) {
      Files.createDirectories(to);
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      for (String agent : agents.keySet()) {
        Path vmLogs = dir.resolve(agent).resolve("logs");
        if (Files.isDirectory(vmLogs)) {
          try (Stream<Path> vm = Files.list(vmLogs)) {
            for (Path f : (Iterable<Path>) vm::iterator) {
              Files.copy(f, to.resolve(agent + "-" + f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
          }
        }
      }
    } catch (IOException e) {
      // best effort
    }
  }

  /**
   * A port nobody listens on now and this JVM has not handed out before: a port picked for a
   * process that binds it later (a master's embedded ZooKeeper, say) is free until then, and the
   * kernel may offer it again meanwhile (seen: an agent given its cluster's ZooKeeper port).
   */
  /**
   * A port free now and below the kernel's ephemeral range: daemons are restarted on the port they
   * had, and a port from the ephemeral range may meanwhile be the source port of some connection or
   * a port-0 listener (agents' metrics endpoints), which once made a restarted agent fail to bind.
   */
  public static int freePort() throws IOException {
    int below = ephemeralRangeStart();
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 10_000; attempt++) {
      int port = 10_000 + random.nextInt(Math.max(1, below - 10_000));
      if (HANDED_OUT.contains(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new java.net.InetSocketAddress("0.0.0.0", port));
      } catch (IOException taken) {
        continue;
      }
      if (HANDED_OUT.add(port)) {
        return port;
      }
    }
    throw new IOException("no free port between 10000 and " + below);
  }

  /** The first port of net.ipv4.ip_local_port_range (32768 when it cannot be read). */
  private static int ephemeralRangeStart() {
    try {
      String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
      return Math.max(11_000, Integer.parseInt(range.split("\\s+")[0]));
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }

  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  @Override
  public void close() throws Exception {
    List<Node> order = new ArrayList<>(agents.values());
    order.addAll(masters);
    if (zooKeeper != null) {
      order.add(zooKeeper);
    }
    order.addAll(ensemble);
    stopRestartedAgents();
    for (Node n : order) {
      n.process.destroy(); // SIGTERM: agents power off their VMs
      if (!n.process.waitFor(15, TimeUnit.SECONDS)) {
        kill(n);
      }
    }
    keepLogs();
    if (Files.exists(memoryDir)) {
      try (Stream<Path> files = Files.walk(memoryDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
