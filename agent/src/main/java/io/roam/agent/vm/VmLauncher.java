package io.roam.agent.vm;

import io.roam.common.model.VmSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts a VM as its own JVM: a small Java heap (guest state lives in guest memory), the agent's
 * own class path, output appended to the VM's log file.
 */
public final class VmLauncher {
  /** Overrides the class path given to VM processes (default: this JVM's). */
  public static final String CLASSPATH_PROPERTY = "roam.vm.classpath";

  private final long heapBytes;
  private final String bindAddress;
  private final Path datastore;
  private final String witnessHost;

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
    this.witnessHost = witnessHost;
    this.heapBytes = heapBytes;
    this.bindAddress = bindAddress;
    this.datastore = datastore;
  }

  /**
   * Starts a VM process. {@code incoming}: the destination of a migration, which resumes its
   * program from memory that is still arriving, once told GO.
   */
  public Process launch(VmSpec spec, Path memoryFile, Path controlSocket, Path logFile, boolean incoming) throws IOException {
    Files.createDirectories(logFile.getParent());
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + (heapBytes >> 20) + "m");
    cmd.add("-Xms16m");
    cmd.add("-XX:+UseSerialGC");
    // Small, quick-starting JVMs: a VM JIT-compiles little and keeps its state off-heap.
    cmd.add("-Xshare:auto");
    cmd.add("-Droam.vm=" + spec.name());
    if (witnessHost != null && datastore != null) {
      cmd.add("-Droam.host=" + witnessHost);
      cmd.add("-Droam.witness=" + datastore.resolve(".roam").resolve("witness").resolve(spec.name() + ".log"));
    }
    cmd.add("-cp");
    cmd.add(System.getProperty(CLASSPATH_PROPERTY, System.getProperty("java.class.path")));
    cmd.add("io.roam.agent.guest.GuestMain");
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
    cmd.add(bindAddress);
    if (datastore != null) {
      cmd.add("--datastore");
      cmd.add(datastore.toString());
    }
    if (incoming) {
      cmd.add("--resume");
      cmd.add("--wait");
    }
    for (Map.Entry<String, String> a : spec.args().entrySet()) {
      cmd.add("--arg");
      cmd.add(a.getKey() + "=" + a.getValue());
    }
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    return pb.start();
  }

  /** The last {@code lines} lines of a log file, for crash reports. */
  public static String tail(Path logFile, int lines) {
    try {
      List<String> all = Files.readAllLines(logFile);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
