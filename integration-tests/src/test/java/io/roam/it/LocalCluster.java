package io.roam.it;

import static org.awaitility.Awaitility.await;

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
 */
public final class LocalCluster implements AutoCloseable {
  public final Path dir;
  public final Path memoryDir;
  public int zkPort;
  public final List<Node> masters = new ArrayList<>();
  public final Map<String, Node> agents = new LinkedHashMap<>();

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
      return "127.0.0.1:" + port;
    }
  }

  /** What a roamctl run printed, and its exit code. */
  public record Result(int exit, String out, String err) {}

  public LocalCluster(Path dir) throws IOException {
    this.dir = dir;
    this.memoryDir = Path.of("/dev/shm", "roam-it-" + UUID.randomUUID());
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
      c.zooKeeper = c.spawn("zookeeper", c.zkPort, "io.roam.it.ZkServerMain",
          List.of(Integer.toString(c.zkPort), dir.resolve("zk").toString()));
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

  /** The ZooKeeper process of {@link #startWithExternalZooKeeper}, else null. */
  public Node zooKeeper;

  public Node startMaster(String id, String zk) throws IOException {
    int port = freePort();
    List<String> args = new ArrayList<>(List.of("--id", id, "--port", Integer.toString(port),
        "--zk-session-timeout-ms", Integer.toString(sessionTimeoutMs)));
    if (zk.isEmpty()) {
      args.addAll(List.of("--zk-port", Integer.toString(zkPort), "--zk-dir", dir.resolve("zk").toString()));
    } else {
      args.addAll(List.of("--zk", zk));
    }
    Node n = spawn(id, port, "io.roam.master.MasterMain", args);
    masters.add(n);
    return n;
  }

  /** ZooKeeper session timeout of the processes started from now on. */
  public static int sessionTimeoutMs = 4000;
  /** Agent guest memory for clusters started from now on (tests: 1GiB; benchmarks: more). */
  public static String agentMemory = "1GiB";
  /** Extra JVM options for agents started from now on, e.g. -Droam.faults=... */
  public List<String> agentJvmOptions = List.of();

  public Node startAgent(String name) throws IOException {
    int port = freePort();
    Node n = spawn(name, port, "io.roam.agent.AgentMain", List.of("--name", name, "--port", Integer.toString(port),
        "--zk", zkConnect(), "--zk-session-timeout-ms", Integer.toString(sessionTimeoutMs), "--memory", agentMemory, "--vm-heap", "32MiB",
        "--memory-dir", memoryDir.toString(), "--data-dir", dir.resolve(name).toString(),
        "--datastore", dir.resolve("datastore").toString()));
    agents.put(name, n);
    return n;
  }

  public String zkConnect() {
    return "127.0.0.1:" + zkPort;
  }

  public String masterAddresses() {
    return String.join(",", masters.stream().filter(m -> m.process.isAlive()).map(Node::address).toList());
  }

  /** Runs roamctl in this JVM against the live masters. */
  public Result ctl(String... args) {
    return ctlAt(masterAddresses(), args);
  }

  /** Runs roamctl in this JVM against the given master addresses only. */
  public Result ctlAt(String masters, String... args) {
    List<String> all = new ArrayList<>(List.of("--master", masters, "--timeout", "60"));
    all.addAll(List.of(args));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Roamctl.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  public void awaitConnectedHosts(int n) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
      for (Node node : allNodes()) {
        if (!node.process.isAlive()) {
          throw new IllegalStateException(node.name + " exited with " + node.process.exitValue() + ":\n" + tail(node.log));
        }
      }
      Result r = ctl("host", "ls");
      return r.exit() == 0 && r.out().lines().filter(l -> l.contains(" connected ")).count() >= n;
    });
  }

  private List<Node> allNodes() {
    List<Node> all = new ArrayList<>(masters);
    all.addAll(agents.values());
    return all;
  }

  private Node spawn(String name, int port, String main, List<String> args) throws IOException {
    Files.createDirectories(dir.resolve("logs"));
    Path log = dir.resolve("logs").resolve(name + ".log");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m"));
    if (main.endsWith("AgentMain")) {
      cmd.addAll(agentJvmOptions);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
    cmd.addAll(args);
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

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws Exception {
    List<Node> order = new ArrayList<>(agents.values());
    order.addAll(masters);
    if (zooKeeper != null) {
      order.add(zooKeeper);
    }
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
