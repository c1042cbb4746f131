package io.roam.master.cli;

import com.google.protobuf.MessageOrBuilder;
import io.grpc.StatusRuntimeException;
import io.roam.common.Sizes;
import io.roam.common.kv.KvClient;
import io.roam.proto.CreateVmRequest;
import io.roam.proto.HostInfo;
import io.roam.proto.LeaderInfo;
import io.roam.proto.LeaderRequest;
import io.roam.proto.ListHostsRequest;
import io.roam.proto.ListVmsRequest;
import io.roam.proto.ListVmsResponse;
import io.roam.proto.VmInfo;
import io.roam.proto.VmName;
import io.roam.proto.VmSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * roamctl: the operator's command line. Exit codes: 0 success, 1 the operation failed (one line
 * on stderr saying why), 2 bad usage.
 */
@Command(name = "roamctl", mixinStandardHelpOptions = true,
    description = "Drives a Roam cluster: hosts, VMs, and the kv service of kv VMs.",
    subcommands = {Roamctl.HostCmd.class, Roamctl.VmCmd.class, Roamctl.KvCmd.class, MigrationCommands.MigrationCmd.class,
        EventsCommand.class, SchedulerCommands.DrsCmd.class, SchedulerCommands.RuleCmd.class, Roamctl.LeaderCmd.class,
        PkiCommand.class, ClusterCommands.ClusterCmd.class, HealthCommand.class, CompletionCommand.class,
        DashboardCommand.class, TaskCommands.TaskCmd.class},
    footer = {"", "Exit codes: 0 ok, 1 error, 2 usage.",
        "Masters: --master or $ROAM_MASTER, a comma-separated list tried in order (default 127.0.0.1:7700).",
        "TLS: --tls-ca/--tls-cert/--tls-key or $ROAM_TLS_CA/$ROAM_TLS_CERT/$ROAM_TLS_KEY (default ~/.roam/ca.crt, user.crt, user.key)."})
public final class Roamctl implements Callable<Integer> {
  public static final int OK = 0;
  public static final int ERROR = 1;
  public static final int USAGE = 2;

  /** table: for people; wide: the table with more columns; json, yaml: for scripts (docs/schema). */
  public enum Output { table, wide, json, yaml }

  @Option(names = "--master", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT[,...]",
      description = "master addresses, tried in order")
  String master;

  @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "FORMAT",
      description = "output format: ${COMPLETION-CANDIDATES} (default: table); json and yaml follow docs/schema")
  Output output = Output.table;

  @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "SECONDS",
      description = "deadline of each call to a master (default: 120)")
  long timeoutSeconds = 120;

  @Option(names = "--tls-ca", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "CA certificate to trust (default: $ROAM_TLS_CA, else ~/.roam/ca.crt)")
  String tlsCa;

  @Option(names = "--tls-cert", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "your certificate (default: $ROAM_TLS_CERT, else ~/.roam/user.crt)")
  String tlsCert;

  @Option(names = "--tls-key", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "your private key, mode 0600 (default: $ROAM_TLS_KEY, else ~/.roam/user.key)")
  String tlsKey;

  @Spec CommandSpec spec;

  PrintStream out;
  PrintStream err;
  private Map<String, String> env;

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  /** Runs one roamctl command in this JVM (tests use this) and returns its exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    Roamctl root = new Roamctl();
    root.out = out;
    root.err = err;
    root.env = env;
    CommandLine cl = new CommandLine(root);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    giveVersion(cl, new RoamctlVersion());
    cl.setParameterExceptionHandler((ex, a) -> {
      err.println("roamctl: " + ex.getMessage());
      err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
      return USAGE;
    });
    cl.setExecutionExceptionHandler((ex, c, parsed) -> {
      err.println("roamctl: error: " + describe(ex));
      return ERROR;
    });
    return cl.execute(args);
  }

  /** --version on every command prints roamctl's version (a subcommand has none of its own). */
  private static void giveVersion(CommandLine c, RoamctlVersion version) {
    c.getCommandSpec().versionProvider(version);
    c.getSubcommands().values().forEach(sub -> giveVersion(sub, version));
  }

  static String describe(Throwable t) {
    if (t instanceof StatusRuntimeException s) {
      String d = s.getStatus().getDescription();
      return d == null || d.isEmpty() ? s.getStatus().getCode().toString().toLowerCase(Locale.ROOT).replace('_', ' ') : d;
    }
    if (t instanceof IOException) {
      return t.getMessage();
    }
    if (t instanceof IllegalArgumentException) {
      return t.getMessage();
    }
    return t.toString();
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(out);
    return USAGE;
  }

  <T> T master(Function<io.roam.proto.ClusterServiceGrpc.ClusterServiceBlockingStub, T> rpc) {
    try (MasterClient c = masterClient()) {
      return c.call(rpc);
    }
  }

  /** A client of the masters named by --master or $ROAM_MASTER, with the user's TLS files; the caller closes it. */
  MasterClient masterClient() {
    String list = master != null ? master : env.getOrDefault("ROAM_MASTER", "127.0.0.1:7700");
    List<String> addresses = Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    if (addresses.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--master needs at least one HOST:PORT");
    }
    io.roam.common.security.TlsFiles tls = ClientTls.resolve(tlsCa, tlsCert, tlsKey, env);
    io.grpc.ChannelCredentials credentials;
    try {
      credentials = tls.channelCredentials();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot use " + tls.cert() + ": " + e.getMessage());
    }
    return new MasterClient(addresses, timeoutSeconds * 1000, credentials);
  }

  Map<String, String> env() {
    return env;
  }

  /** Prints {@code m} as -o json or -o yaml asks, by the rules of {@link CliJson}. */
  void printJson(MessageOrBuilder m) {
    out.println(output == Output.yaml ? CliJson.yaml(m) : CliJson.json(m));
  }

  /** Whether the output is for scripts (json or yaml) rather than a table. */
  boolean structured() {
    return output == Output.json || output == Output.yaml;
  }

  boolean wide() {
    return output == Output.wide;
  }

  /** Base of leaf commands: reach the root's options and streams. */
  abstract static class Leaf implements Callable<Integer> {
    @Spec CommandSpec spec;

    Roamctl root() {
      return (Roamctl) spec.root().userObject();
    }

    PrintStream out() {
      return root().out;
    }

    PrintStream err() {
      return root().err;
    }
  }

  // ---- host ----

  @Command(name = "host", description = "Hosts (one agent each).", subcommands = {HostCmd.Ls.class,
      HostCommands.Maintenance.class, HostCommands.Power.class, HostCommands.PowerDriver.class,
      HostCommands.ClearWakeFailed.class, HostCommands.Dpm.class},
      mixinStandardHelpOptions = true)
  static final class HostCmd extends Leaf {
    @Override
    public Integer call() {
      spec.commandLine().usage(out());
      return USAGE;
    }

    @Command(name = "ls", description = "List hosts with their capacity and use.", mixinStandardHelpOptions = true)
    static final class Ls extends Leaf {
      @Option(names = {"-w", "--watch"}, description = "after the table, print a line for each host that changes, until interrupted")
      boolean watch;

      @Override
      public Integer call() throws Exception {
        if (watch) {
          boolean wide = root().wide();
          return new WatchedTable(root(), hostTable(wide), () -> root().master(s -> s.listHosts(ListHostsRequest.getDefaultInstance()))
              .getHostsList().stream().map(h -> new WatchedTable.Row(h.getName(), hostRow(h, wide))).toList(),
              n -> n.getKind().equals("host") || n.getNode().equals("owner"), e -> !e.getHost().isEmpty(), 2,
              List.of(4, 6)).watch();
        }
        var hosts = root().master(s -> s.listHosts(ListHostsRequest.getDefaultInstance()));
        if (root().structured()) {
          root().printJson(hosts);
          return OK;
        }
        Table t = hostTable(root().wide());
        for (HostInfo h : hosts.getHostsList()) {
          t.row(hostRow(h, root().wide()));
        }
        t.print(out());
        return OK;
      }
    }

    /** @param wide -o wide: also the DPM level, the datastore, VM addresses and the metrics port */
    static Table hostTable(boolean wide) {
      return wide
          ? new Table("NAME", "ADDRESS", "STATE", "CORES", "DEMAND", "MEMORY", "USED", "VMS", "POWER", "DPM", "DATASTORE",
              "VM-ADDRESSES", "METRICS", "NOTE")
          : new Table("NAME", "ADDRESS", "STATE", "CORES", "DEMAND", "MEMORY", "USED", "VMS", "POWER", "NOTE");
    }

    static Object[] hostRow(HostInfo h, boolean wide) {
      List<Object> r = new java.util.ArrayList<>(List.of(h.getName(), h.getAddress() + ":" + h.getPort(),
          h.getState() + (h.getWakeFailed() ? " (wake failed)" : ""), h.getCores(),
          String.format(Locale.ROOT, "%.2f", h.getCpuDemand()), Sizes.format(h.getMemoryBytes()),
          Sizes.format(h.getMemoryUsedBytes()), h.getVmCount(), h.getPowerDriver().isEmpty() ? "-" : h.getPowerDriver()));
      if (wide) {
        r.addAll(List.of(h.getDpmLevel().isEmpty() ? "default" : h.getDpmLevel(), h.getDatastore().isEmpty() ? "-" : h.getDatastore(),
            h.getVmAddresses() ? "yes" : "no", h.getMetricsPort() == 0 ? "-" : h.getMetricsPort()));
      }
      r.add(h.getNote().isEmpty() ? "-" : h.getNote());
      return r.toArray();
    }
  }

  // ---- vm ----

  @Command(name = "vm", description = "Virtual machines.", mixinStandardHelpOptions = true,
      subcommands = {VmCmd.Create.class, VmCmd.Ls.class, VmCmd.Show.class, VmCmd.Start.class, VmCmd.Stop.class,
          VmCmd.PowerOff.class, VmCmd.Destroy.class, MigrationCommands.Migrate.class, HostCommands.SetVm.class,
          FtCommands.FtCmd.class, VmLogsCommand.class})
  static final class VmCmd extends Leaf {
    @Override
    public Integer call() {
      spec.commandLine().usage(out());
      return USAGE;
    }

    static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
      @Override
      public Long convert(String value) {
        try {
          return Sizes.parse(value);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.TypeConversionException(e.getMessage());
        }
      }
    }

    @Command(name = "create", description = "Create a VM (it starts stopped unless --start is given).",
        mixinStandardHelpOptions = true)
    static final class Create extends Leaf {
      @Parameters(index = "0", paramLabel = "NAME", description = "VM name: letters, digits, '.', '_', '-'")
      String name;

      @Option(names = "--program", required = true, paramLabel = "PROGRAM",
          description = "kv, memstress, cpu, idle, or a class name with --jar")
      String program;

      @Option(names = "--memory", required = true, paramLabel = "SIZE", converter = SizeConverter.class,
          description = "guest memory, e.g. 256MiB, 1GiB (16 MiB or more, whole 4 KiB pages)")
      long memory;

      @Option(names = "--host", paramLabel = "HOST", description = "host to create it on (default: DRS initial placement)")
      String host = "";

      @Option(names = "--restart-priority", paramLabel = "PRIORITY",
          description = "HA restart priority: high, medium (default), low or disabled")
      String restartPriority = "";

      @Option(names = "--drs-automation", paramLabel = "LEVEL",
          description = "DRS automation for this VM: manual, partial, full or disabled (default: the cluster's)")
      String drsAutomation = "";

      @Option(names = "--arg", paramLabel = "KEY=VALUE", description = "program argument, repeatable")
      Map<String, String> args = new LinkedHashMap<>();

      @Option(names = "--jar", paramLabel = "PATH", description = "jar with the program class, readable on the host")
      Path jar;

      @Option(names = "--start", description = "start the VM once created (both or neither: a refused start creates nothing)")
      boolean start;

      @Option(names = "--ip", paramLabel = "ADDRESS/PREFIX",
          description = "the VM's own IPv4 address, from the cluster's vm.address-pool; it moves with the VM")
      String ip = "";

      @Override
      public Integer call() {
        VmSpec.Builder vm = VmSpec.newBuilder().setName(name).setProgram(program).setMemoryBytes(memory).putAllArgs(args)
            .setAddress(ip);
        if (jar != null) {
          vm.setProgramJar(jar.toAbsolutePath().toString());
        }
        VmInfo info = root().master(s -> s.createVm(CreateVmRequest.newBuilder().setSpec(vm).setHost(host)
            .setRestartPriority(restartPriority).setDrsAutomation(drsAutomation).setStart(start).build()));
        printVm(root(), info);
        return OK;
      }
    }

    @Command(name = "ls", description = "List VMs.", mixinStandardHelpOptions = true)
    static final class Ls extends Leaf {
      @Option(names = {"-w", "--watch"}, description = "after the table, print a line for each VM that changes, until interrupted")
      boolean watch;

      @Override
      public Integer call() throws Exception {
        if (watch) {
          boolean wide = root().wide();
          return new WatchedTable(root(), vmTable(wide), () -> root().master(s -> s.listVms(ListVmsRequest.getDefaultInstance()))
              .getVmsList().stream().map(v -> new WatchedTable.Row(v.getSpec().getName(), vmRow(v, wide))).toList(),
              n -> n.getKind().equals("vm"), e -> !e.getVm().isEmpty(), 2, List.of()).watch();
        }
        ListVmsResponse vms = root().master(s -> s.listVms(ListVmsRequest.getDefaultInstance()));
        if (root().structured()) {
          root().printJson(vms);
          return OK;
        }
        Table t = vmTable(root().wide());
        for (VmInfo v : vms.getVmsList()) {
          t.row(vmRow(v, root().wide()));
        }
        t.print(out());
        return OK;
      }
    }

    /** @param wide -o wide: also the owner epoch, process, CPU time, dirty rate, HA priority, DRS level and address */
    static Table vmTable(boolean wide) {
      return wide
          ? new Table("NAME", "HOST", "STATE", "DESIRED", "PROGRAM", "MEMORY", "ENDPOINT", "FT", "EPOCH", "PID", "CPU",
              "DIRTY/S", "HA", "DRS", "ADDRESS")
          : new Table("NAME", "HOST", "STATE", "DESIRED", "PROGRAM", "MEMORY", "ENDPOINT", "FT");
    }

    static Object[] vmRow(VmInfo v, boolean wide) {
      List<Object> r = new java.util.ArrayList<>(List.of(v.getSpec().getName(), v.getHost(), state(v),
          v.getDesiredState().toLowerCase(Locale.ROOT), v.getSpec().getProgram(), Sizes.format(v.getSpec().getMemoryBytes()),
          v.getEndpoint(), ftColumn(v)));
      if (wide) {
        r.addAll(List.of(v.getOwnerEpoch(), v.getPid() == 0 ? "-" : v.getPid(),
            String.format(Locale.ROOT, "%.2fs", v.getCpuNanos() / 1e9), String.format(Locale.ROOT, "%.0f", v.getDirtyPagesPerSecond()),
            v.getRestartPriority().isEmpty() ? "-" : v.getRestartPriority(),
            v.getDrsAutomation().isEmpty() ? "default" : v.getDrsAutomation(),
            v.getSpec().getAddress().isEmpty() ? "-" : v.getSpec().getAddress()));
      }
      return r.toArray();
    }

    /** FT in a VM list: "-" when not protected, else its state, with the secondary's host when it has one. */
    static String ftColumn(VmInfo v) {
      if (v.getFtState().isEmpty() || v.getFtState().equals("not protected")) {
        return "-";
      }
      return v.getFtState() + (v.getFtSecondary().isEmpty() ? "" : " (" + v.getFtSecondary() + ")");
    }

    @Command(name = "show", description = "Show one VM in detail.", mixinStandardHelpOptions = true)
    static final class Show extends Leaf {
      @Parameters(paramLabel = "NAME")
      String name;

      @Override
      public Integer call() {
        printVm(root(), root().master(s -> s.describeVm(VmName.newBuilder().setName(name).build())));
        return OK;
      }
    }

    abstract static class VmAction extends Leaf {
      @Parameters(paramLabel = "NAME")
      String name;

      abstract VmInfo act(io.roam.proto.ClusterServiceGrpc.ClusterServiceBlockingStub s, VmName vm);

      @Override
      public Integer call() {
        printVm(root(), root().master(s -> act(s, VmName.newBuilder().setName(name).build())));
        return OK;
      }
    }

    @Command(name = "start", description = "Start (boot) a VM.", mixinStandardHelpOptions = true)
    static final class Start extends VmAction {
      @Override
      VmInfo act(io.roam.proto.ClusterServiceGrpc.ClusterServiceBlockingStub s, VmName vm) {
        return s.startVm(vm);
      }
    }

    @Command(name = "stop", description = "Stop a VM gracefully (its program closes).", mixinStandardHelpOptions = true)
    static final class Stop extends VmAction {
      @Override
      VmInfo act(io.roam.proto.ClusterServiceGrpc.ClusterServiceBlockingStub s, VmName vm) {
        return s.stopVm(vm);
      }
    }

    @Command(name = "poweroff", description = "Power a VM off at once (its process is killed).",
        mixinStandardHelpOptions = true)
    static final class PowerOff extends VmAction {
      @Override
      VmInfo act(io.roam.proto.ClusterServiceGrpc.ClusterServiceBlockingStub s, VmName vm) {
        return s.powerOffVm(vm);
      }
    }

    @Command(name = "destroy", description = "Power off a VM and delete it and its memory.",
        mixinStandardHelpOptions = true)
    static final class Destroy extends VmAction {
      @Override
      VmInfo act(io.roam.proto.ClusterServiceGrpc.ClusterServiceBlockingStub s, VmName vm) {
        return s.destroyVm(vm);
      }
    }
  }

  static String state(VmInfo v) {
    if (!v.getStatusError().isEmpty() && v.getState() == io.roam.proto.VmState.VM_STATE_UNSPECIFIED) {
      return "unknown";
    }
    String s = v.getState().name().replace("VM_STATE_", "").toLowerCase(Locale.ROOT);
    return v.getLeaseExpired() ? s + " (lease expired)" : s;
  }

  static void printVm(Roamctl root, VmInfo v) {
    if (root.structured()) {
      root.printJson(v);
      return;
    }
    PrintStream o = root.out;
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("Name", v.getSpec().getName());
    f.put("Host", v.getHost());
    f.put("State", state(v));
    f.put("Desired state", v.getDesiredState().toLowerCase(Locale.ROOT));
    f.put("Program", v.getSpec().getProgram() + (v.getSpec().getProgramJar().isEmpty() ? "" : " from " + v.getSpec().getProgramJar()));
    f.put("Arguments", v.getSpec().getArgsMap().isEmpty() ? "-" : v.getSpec().getArgsMap().toString());
    f.put("Memory", Sizes.format(v.getSpec().getMemoryBytes()));
    f.put("Endpoint", v.getEndpoint().isEmpty() ? "-" : v.getEndpoint());
    f.put("Owner epoch", v.getOwnerEpoch());
    if (!v.getRestartPriority().isEmpty()) {
      f.put("HA priority", v.getRestartPriority());
      f.put("DRS", v.getDrsAutomation().isEmpty() ? "cluster default" : v.getDrsAutomation());
    }
    if (!v.getFtState().isEmpty()) {
      f.put("FT", v.getFtState() + (v.getFtSecondary().isEmpty() ? "" : " (secondary on " + v.getFtSecondary() + ")"));
    }
    f.put("Process", v.getPid() == 0 ? "-" : v.getPid());
    f.put("CPU time", String.format(Locale.ROOT, "%.2f s", v.getCpuNanos() / 1e9));
    f.put("Steps", v.getSteps());
    f.put("Heartbeat", v.getHeartbeat());
    f.put("Dirty pages/s", String.format(Locale.ROOT, "%.0f", v.getDirtyPagesPerSecond()));
    f.put("Throttle", v.getThrottlePercent() + " %");
    if (v.getState() == io.roam.proto.VmState.VM_STATE_CRASHED) {
      f.put("Exit code", v.getExitCode());
    }
    if (!v.getStatusError().isEmpty()) {
      f.put("Status", v.getStatusError());
    }
    f.forEach((k, val) -> o.printf("%-15s %s%n", k + ":", val));
    if (!v.getLogTail().isEmpty()) {
      o.println("Last log lines:");
      v.getLogTail().lines().forEach(l -> o.println("  " + l));
    }
  }

  // ---- kv ----

  @Command(name = "kv", mixinStandardHelpOptions = true,
      description = {"Talk to a kv VM: put KEY VALUE, get KEY, del KEY.",
          "The VM's current endpoint is looked up through the master, and looked up again if the VM moves."})
  static final class KvCmd extends Leaf {
    @Parameters(index = "0", paramLabel = "VM")
    String vm;

    @Parameters(index = "1", paramLabel = "OP", description = "put, get or del")
    String op;

    @Parameters(index = "2", paramLabel = "KEY")
    String key;

    @Parameters(index = "3..*", paramLabel = "VALUE", description = "the value (put only); words are joined by spaces")
    List<String> value = List.of();

    @Override
    public Integer call() throws IOException {
      String operation = op.toLowerCase(Locale.ROOT);
      if (!List.of("put", "get", "del").contains(operation)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "unknown kv operation '" + op + "': use put, get or del");
      }
      if (operation.equals("put") == value.isEmpty()) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            operation.equals("put") ? "put needs a VALUE" : operation + " takes no VALUE");
      }
      Roamctl root = root();
      VmInfo info = root.master(s -> s.describeVm(VmName.newBuilder().setName(vm).build()));
      if (info.getEndpoint().isEmpty()) {
        throw new IllegalArgumentException("VM " + vm + " has no endpoint: is it a running kv VM?");
      }
      String[] endpoint = {info.getEndpoint()};
      boolean[] first = {true};
      try (KvClient c = new KvClient(() -> {
        if (!first[0]) {
          endpoint[0] = root.master(s -> s.describeVm(VmName.newBuilder().setName(vm).build())).getEndpoint();
        }
        first[0] = false;
        return endpoint[0];
      }, Duration.ofSeconds(10))) {
        switch (operation) {
          case "put" -> {
            c.put(key, String.join(" ", value));
            root.out.println("OK");
          }
          case "get" -> {
            Optional<String> v = c.get(key);
            if (v.isEmpty()) {
              root.err.println("roamctl: error: key " + key + " not found in VM " + vm);
              return ERROR;
            }
            root.out.println(v.get());
          }
          default -> {
            if (!c.delete(key)) {
              root.err.println("roamctl: error: key " + key + " not found in VM " + vm);
              return ERROR;
            }
            root.out.println("OK");
          }
        }
      }
      return OK;
    }
  }

  // ---- leader ----

  @Command(name = "leader", description = "Show which master leads and its epoch.", mixinStandardHelpOptions = true)
  static final class LeaderCmd extends Leaf {
    @Override
    public Integer call() {
      LeaderInfo l = root().master(s -> s.getLeader(LeaderRequest.getDefaultInstance()));
      if (root().structured()) {
        root().printJson(l);
      } else {
        out().printf("leader %s, epoch %d (asked master %s, which %s)%n", l.getLeaderAddress().isEmpty() ? "none" : l.getLeaderAddress(),
            l.getEpoch(), l.getMasterId(), l.getIsLeader() ? "is the leader" : "is a standby");
      }
      return OK;
    }
  }
}
