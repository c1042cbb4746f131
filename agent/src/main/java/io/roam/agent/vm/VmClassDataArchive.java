package io.roam.agent.vm;

import io.roam.agent.memory.GuestMemory;
import io.roam.common.model.VmSpec;
import io.roam.common.time.Monotonic;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A class data sharing archive for VM processes (JDK AppCDS, dynamic archive): the classes a VM
 * loads to boot, parsed and verified once per agent and mapped by every VM JVM after, so that HA
 * restarting many VMs at once spends less CPU on class loading. Made once, in the background, by a
 * training VM (a kv VM with a disk in a scratch directory, booted and stopped, the JVM dumping
 * what it loaded at exit); until it exists VMs start without it, and a VM whose archive does not
 * match (another JDK, a changed jar) starts without it too ({@code -Xshare:auto}).
 *
 * <p>The file name carries a digest of the JDK and of every class path jar's path, size and
 * modification time: a rebuilt jar gets a new archive. Only a class path of jars qualifies (the
 * JDK refuses to archive from directories). Thread-safe: {@link #launchOptions} may be called
 * while {@link #train} runs.
 */
public final class VmClassDataArchive {
  private static final Logger LOG = LoggerFactory.getLogger(VmClassDataArchive.class);
  private static final Duration TRAINING_TIMEOUT = Duration.ofSeconds(120);

  private final Path file;

  private VmClassDataArchive(Path file) {
    this.file = file;
  }

  /** The archive for VMs started with {@code classPath}, kept in {@code dir}; empty when the class path is not all jars. */
  public static Optional<VmClassDataArchive> forClassPath(Path dir, String classPath) {
    List<String> entries = List.of(classPath.split(File.pathSeparator));
    if (entries.isEmpty() || !entries.stream().allMatch(e -> e.endsWith(".jar"))) {
      return Optional.empty();
    }
    return Optional.of(new VmClassDataArchive(dir.resolve("vm-" + digest(entries) + ".jsa")));
  }

  public Path file() {
    return file;
  }

  /** JVM options for a VM process: the archive once it exists, nothing before. */
  public List<String> launchOptions() {
    return Files.isRegularFile(file) ? List.of("-XX:SharedArchiveFile=" + file, "-Xshare:auto") : List.of();
  }

  /**
   * Makes the archive unless it exists: boots a kv VM with a disk in {@code scratch} through
   * {@code launcher} with {@code -XX:ArchiveClassesAtExit}, stops it, and moves the archive in place
   * (so VMs never map a half-written one). Blocking; returns false (and logs why) when it could not.
   */
  public boolean train(VmLauncher launcher, Path scratch) {
    if (Files.isRegularFile(file)) {
      return true;
    }
    long started = Monotonic.millis();
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Process p = null;
    try {
      Files.createDirectories(file.getParent());
      Files.createDirectories(scratch);
      Files.deleteIfExists(tmp);
      Path memoryFile = scratch.resolve("training.mem");
      Path socket = scratch.resolve("training.sock");
      Files.deleteIfExists(socket);
      try (GuestMemory memory = GuestMemory.create(memoryFile, 16L << 20)) {
        memory.header().renewLease(Monotonic.millis() + TRAINING_TIMEOUT.toMillis()); // its lease: it steps a while
      }
      VmSpec spec = new VmSpec("cds-training", "kv", 16L << 20, Map.of("disk", "on"), "");
      p = launcher.launchTraining(spec, memoryFile, socket, scratch.resolve("training.log"), scratch.resolve("datastore"),
          List.of("-XX:ArchiveClassesAtExit=" + tmp));
      VmControlClient control = new VmControlClient(socket);
      long deadline = System.nanoTime() + TRAINING_TIMEOUT.toNanos();
      boolean running = false;
      while (!running && p.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(50);
        try {
          running = Files.exists(socket) && VmControlClient.parseFields(control.call("STATS", Duration.ofSeconds(2)))
              .getOrDefault("state", "").equals("RUNNING");
        } catch (IOException e) {
          // not listening yet
        }
      }
      if (running) {
        control.call("STOP", Duration.ofSeconds(5));
      }
      if (!p.waitFor(TRAINING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) || !running || !Files.isRegularFile(tmp)) {
        LOG.warn("no class data sharing archive for VMs (the training VM did not boot and stop cleanly; see {}):"
            + " VMs start without one", scratch.resolve("training.log"));
        return false;
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      LOG.info("class data sharing archive for VMs made in {} ms: {}", Monotonic.millis() - started, file);
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.warn("no class data sharing archive for VMs ({}): VMs start without one", e.toString());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      if (p != null) {
        p.destroyForcibly();
      }
      deleteQuietly(scratch);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      LOG.debug("cannot clean {}: {}", dir, e.toString());
    }
  }

  /** JDK and jars (path, size, modification time): what an archive is valid for. */
  private static String digest(List<String> jars) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      List<String> parts = new ArrayList<>(List.of(System.getProperty("java.home"), System.getProperty("java.vm.version")));
      for (String jar : jars) {
        Path p = Path.of(jar);
        parts.add(jar);
        try {
          parts.add(Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
        } catch (IOException e) {
          parts.add("missing");
        }
      }
      md.update(String.join("\n", parts).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(md.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
