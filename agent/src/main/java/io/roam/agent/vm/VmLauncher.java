package io.roam.agent.vm;

import io.roam.common.model.VmSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts a VM as its own JVM: a small Java heap (guest state lives in guest memory), the agent's
 * own class path, output appended to the VM's log file.
 */
public final class VmLauncher {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(VmLauncher.class);
  /** Overrides the class path given to VM processes (default: this JVM's). */
  public static final String CLASSPATH_PROPERTY = "roam.vm.classpath";
  /** Extra JVM options for VM processes, separated by spaces (benchmarks and experiments; default: none). */
  public static final String JVM_OPTIONS_PROPERTY = "roam.vm.jvm-options";

  private final long heapBytes;
  private final String bindAddress;
  private final Path datastore;
  private volatile VmClassDataArchive archive;
  private volatile VmProcessPool pool;
  private final String witnessHost;
  private final long witnessPeriodMs;
  private final long logMaxBytes;
  private final int logFiles;
  static final long DEFAULT_LOG_MAX_BYTES = io.roam.common.config.RoamKeys.AGENT_VM_LOG_MAX_BYTES.defaultValue();
  static final int DEFAULT_LOG_FILES = io.roam.common.config.RoamKeys.AGENT_VM_LOG_FILES.defaultValue();

  public VmLauncher(long heapBytes, String bindAddress) {
    this(heapBytes, bindAddress, null);
  }

  /** @param datastore the shared datastore, where VMs keep their disks (null: VMs have none) */
  public VmLauncher(long heapBytes, String bindAddress, Path datastore) {
    this(heapBytes, bindAddress, datastore, null);
  }

  /**
   * @param witnessHost with a datastore, VMs log their steps there as this host (see StepWitness;
   *     tests and chaos runs), or null
   */
  public VmLauncher(long heapBytes, String bindAddress, Path datastore, String witnessHost) {
    this(heapBytes, bindAddress, datastore, witnessHost, 50);
  }

  /** @param witnessPeriodMs the longest run of steps one witness line covers (0: a line per step) */
  public VmLauncher(long heapBytes, String bindAddress, Path datastore, String witnessHost, long witnessPeriodMs) {
    this(heapBytes, bindAddress, datastore, witnessHost, witnessPeriodMs, DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_FILES);
  }

  /**
   * @param logMaxBytes a VM's log is rotated when it reaches this size ({@code agent.vm-log-max-bytes})
   * @param logFiles how many files of a VM's log are kept, the current one included ({@code agent.vm-log-files})
   */
  public VmLauncher(long heapBytes, String bindAddress, Path datastore, String witnessHost, long witnessPeriodMs,
      long logMaxBytes, int logFiles) {
    this.logMaxBytes = logMaxBytes;
    this.logFiles = logFiles;
    this.witnessHost = witnessHost;
    this.witnessPeriodMs = witnessPeriodMs;
    this.heapBytes = heapBytes;
    this.bindAddress = bindAddress;
    this.datastore = datastore;
  }

  /**
   * Starts a VM process. {@code incoming}: the destination of a migration, which resumes its
   * program from memory that is still arriving, once told GO.
   */
  public Process launch(VmSpec spec, Path memoryFile, Path controlSocket, Path logFile, boolean incoming) throws IOException {
    return launch(spec, memoryFile, controlSocket, logFile, incoming, 0);
  }

  /**
   * As above, for a copy of the VM that runs under owner epoch {@code ownerEpoch} (programs with a
   * disk fence it with the epoch; 0: not given). A migration's destination learns its epoch at GO.
   */
  public Process launch(VmSpec spec, Path memoryFile, Path controlSocket, Path logFile, boolean incoming, long ownerEpoch)
      throws IOException {
    VmProcessPool p = pool;
    if (p != null && !incoming) {
      // A start (not a migration's destination, which starts its JVM early anyway): a pooled
      // process becomes the VM when one fits, else the VM gets a JVM of its own as always.
      Optional<Process> pooled = p.startVm(spec, memoryFile, controlSocket, logFile, ownerEpoch);
      if (pooled.isPresent()) {
        return pooled.get();
      }
    }
    VmClassDataArchive cds = archive;
    return start(command(spec, memoryFile, controlSocket, logFile, incoming, ownerEpoch, datastore,
        cds == null ? List.of() : cds.launchOptions()), logFile);
  }

  /**
   * Starts VMs in {@code pool}'s waiting processes from now on, when one fits ({@link VmProcessPool});
   * null: every start launches a JVM.
   */
  public void usePool(VmProcessPool pool) {
    this.pool = pool;
  }

  /**
   * VM processes launched from now on map {@code cds} once it exists ({@link VmClassDataArchive});
   * call {@link #prepareClassDataArchive} to make it.
   */
  public void useClassDataArchive(VmClassDataArchive cds) {
    this.archive = cds;
  }

  /**
   * Makes this launcher's class data sharing archive in {@code dir} (blocking: call it off the
   * start-up path) and uses it from then on; nothing when the VM class path is not all jars.
   */
  public void prepareClassDataArchive(Path dir) {
    try {
      // VMs map what is in there as their own classes: only this user may write it.
      PrivateDirectory.ensure(dir, "class data sharing directory");
    } catch (IOException | RuntimeException e) {
      LOG.warn("VMs start without a class data sharing archive: {}", e.getMessage());
      return;
    }
    VmClassDataArchive.forClassPath(dir, vmClassPath()).ifPresentOrElse(cds -> {
      if (cds.train(this, dir.resolve("training-" + ProcessHandle.current().pid()))) {
        useClassDataArchive(cds);
      }
    }, () -> LOG.info("VMs start without a class data sharing archive: their class path is not all jars"));
  }

  /** The training VM of {@link VmClassDataArchive#train}: a VM command with its own datastore and extra JVM options. */
  Process launchTraining(VmSpec spec, Path memoryFile, Path controlSocket, Path logFile, Path trainingDatastore,
      List<String> jvmOptions) throws IOException {
    return start(command(spec, memoryFile, controlSocket, logFile, false, 0, trainingDatastore, jvmOptions), logFile);
  }

  /**
   * The class path VM processes get: {@value #CLASSPATH_PROPERTY} if set, else this JVM's; when the
   * VM's own classes come from a jar, only the jars of it (a test harness adds directories of its
   * own, which VMs never load from and which would keep them from sharing class data).
   */
  static String vmClassPath() {
    String cp = System.getProperty(CLASSPATH_PROPERTY, System.getProperty("java.class.path"));
    java.security.CodeSource guest = io.roam.agent.guest.GuestMain.class.getProtectionDomain().getCodeSource();
    if (guest == null || !guest.getLocation().getPath().endsWith(".jar")) {
      return cp;
    }
    return String.join(File.pathSeparator, java.util.Arrays.stream(cp.split(File.pathSeparator))
        .filter(e -> e.endsWith(".jar")).toList());
  }

  private List<String> command(VmSpec spec, Path memoryFile, Path controlSocket, Path logFile, boolean incoming,
      long ownerEpoch, Path datastore, List<String> jvmOptions) throws IOException {
    prepareLog(logFile);
    List<String> cmd = jvmCommand(jvmOptions, vmProperties(spec, logFile, datastore));
    cmd.addAll(guestArguments(spec, memoryFile, controlSocket, incoming, ownerEpoch, datastore));
    return cmd;
  }

  private void prepareLog(Path logFile) throws IOException {
    Files.createDirectories(logFile.getParent());
    VmLogFiles.rotateIfOver(logFile, logMaxBytes, logFiles); // the VM rotates it from then on (GuestMain)
  }

  /**
   * The command up to and including the main class: the JVM's options, then {@code vmProperties}
   * (what names one VM: a pooled process gets them with its assignment instead, {@link VmProcessPool}).
   */
  private List<String> jvmCommand(List<String> jvmOptions, Map<String, String> vmProperties) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + (heapBytes >> 20) + "m");
    cmd.add("-Xms16m");
    cmd.add("-Droam.log.max-bytes=" + logMaxBytes);
    cmd.add("-Droam.log.files=" + logFiles);
    cmd.add("-XX:+UseSerialGC");
    // Small, quick-starting JVMs: a VM JIT-compiles little and keeps its state off-heap. No
    // hsperfdata file (one less file to create and map per start; jstat cannot see VMs).
    cmd.add("-Xshare:auto");
    cmd.add("-XX:-UsePerfData");
    cmd.addAll(jvmOptions);
    String extra = System.getProperty(JVM_OPTIONS_PROPERTY, "").trim();
    if (!extra.isEmpty()) {
      cmd.addAll(List.of(extra.split("\\s+")));
    }
    vmProperties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    if (witnessHost != null && datastore != null) {
      cmd.add("-Droam.host=" + witnessHost);
      cmd.add("-Droam.witness.period-ms=" + witnessPeriodMs);
    }
    String faults = System.getProperty("roam.faults");
    if (faults != null) {
      cmd.add("-Droam.faults=" + faults); // fault hooks inside the VM (the slow datastore of chaos runs)
    }
    cmd.add("-cp");
    cmd.add(vmClassPath());
    cmd.add("io.roam.agent.guest.GuestMain");
    return cmd;
  }

  /** The system properties that name one VM (its log, its name, its step witness). */
  private Map<String, String> vmProperties(VmSpec spec, Path logFile, Path datastore) {
    Map<String, String> props = new java.util.LinkedHashMap<>();
    props.put("roam.log", logFile.toAbsolutePath().toString());
    props.put("roam.vm", spec.name());
    if (witnessHost != null && datastore != null) {
      props.put("roam.witness", datastore.resolve(".roam").resolve("witness").resolve(spec.name() + ".log").toString());
    }
    return props;
  }

  private List<String> guestArguments(VmSpec spec, Path memoryFile, Path controlSocket, boolean incoming,
      long ownerEpoch, Path datastore) {
    List<String> cmd = new ArrayList<>();
    cmd.add("--memory");
    cmd.add(memoryFile.toString());
    cmd.add("--control");
    cmd.add(controlSocket.toString());
    cmd.add("--program");
    cmd.add(spec.program());
    if (!spec.programJar().isEmpty()) {
      cmd.add("--jar");
      cmd.add(spec.programJar());
    }
    cmd.add("--bind");
    if (spec.hasAddress()) {
      // Its own address, which the agent added to the VM interface before this launch (or adds
      // before GO on a migration's destination): the program serves there, on every host alike.
      cmd.add(io.roam.common.net.VmAddress.parse(spec.address()).ip());
      cmd.add("--own-address");
    } else {
      cmd.add(bindAddress);
    }
    if (datastore != null) {
      cmd.add("--datastore");
      cmd.add(datastore.toString());
    }
    if (ownerEpoch > 0) {
      cmd.add("--epoch");
      cmd.add(Long.toString(ownerEpoch));
    }
    if (incoming) {
      cmd.add("--resume");
      cmd.add("--wait");
    }
    for (Map.Entry<String, String> a : spec.args().entrySet()) {
      cmd.add("--arg");
      cmd.add(a.getKey() + "=" + a.getValue());
    }
    return cmd;
  }

  // ---- pooled VM processes (VmProcessPool) ----

  /** What a pooled process is told to become: the properties and arguments a launch would have had. */
  record Assignment(Map<String, String> properties, List<String> arguments) {}

  /**
   * What a pooled process must share with a launch made now to stand in for it: the JVM's command
   * without the class data sharing options (an archive made after the process started only makes
   * launches faster; it changes nothing the VM sees) and without what names one VM.
   */
  String poolFit() {
    return String.join("\0", jvmCommand(List.of(), Map.of()));
  }

  /** Launches a pooled process, waiting on {@code socket}, its output appended to {@code log}. */
  Process launchPooled(Path socket, Path log) throws IOException {
    prepareLog(log);
    VmClassDataArchive cds = archive;
    List<String> cmd = jvmCommand(cds == null ? List.of() : cds.launchOptions(), Map.of());
    cmd.addAll(List.of("--pool", "--control", socket.toString()));
    return start(cmd, log);
  }

  /** The assignment that makes a pooled process the VM a {@link #launch} with these arguments would start. */
  Assignment assignment(VmSpec spec, Path memoryFile, Path controlSocket, Path logFile, long ownerEpoch)
      throws IOException {
    prepareLog(logFile);
    return new Assignment(vmProperties(spec, logFile, datastore),
        guestArguments(spec, memoryFile, controlSocket, false, ownerEpoch, datastore));
  }

  private static Process start(List<String> cmd, Path logFile) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    return pb.start();
  }

  /**
   * Deletes a VM's disk ({@code <datastore>/vms/<vm>}: the kv log and snapshots). Only when the
   * operator deletes the VM; never for a migration's source copy or a stale copy, whose disk is the
   * running copy's.
   */
  public void deleteDisk(String vmName) throws IOException {
    if (io.roam.common.Names.checkVmName(vmName) != null) {
      throw new IllegalArgumentException(io.roam.common.Names.checkVmName(vmName)); // never outside <datastore>/vms
    }
    if (datastore == null) {
      return;
    }
    Path disk = datastore.resolve("vms").resolve(vmName);
    if (!Files.isDirectory(disk)) {
      return;
    }
    try (java.util.stream.Stream<Path> files = Files.walk(disk)) {
      for (Path f : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(f);
      }
    }
  }

  /** The last {@code lines} lines of a log file, for crash reports: read from its end only ({@link VmLogFiles#tail}). */
  public static String tail(Path logFile, int lines) {
    return VmLogFiles.tail(logFile, lines);
  }
}
