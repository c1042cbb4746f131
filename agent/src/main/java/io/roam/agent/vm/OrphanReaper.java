package io.roam.agent.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills VM processes left behind by an earlier run of this agent that died without stopping them
 * (kill -9). Their leases have expired, so they are paused, but they hold memory and ports. A pid
 * is only killed when /proc says it is still a VM process *of this agent* (its command line names
 * this run directory's control socket for that VM), so a recycled pid is left alone, even when it
 * now belongs to a VM of another agent on the same machine (one-machine clusters, tests).
 *
 * <p>A VM started in a pooled process ({@link VmProcessPool}) has the pool's command line, which
 * names a socket in this run directory's {@value #POOL_DIR}/ instead of the VM's: it counts as
 * ours too, and so do the pooled processes still waiting there ({@code vm-pool/<n>.pid}).
 */
public final class OrphanReaper {
  private static final Logger LOG = LoggerFactory.getLogger(OrphanReaper.class);

  private OrphanReaper() {}

  /** The directory of the pool's sockets and pid files, in the run directory. */
  public static final String POOL_DIR = "vm-pool";

  public static int reap(Path runDir) throws IOException {
    if (!Files.isDirectory(runDir)) {
      return 0;
    }
    int killed = reapIn(runDir, runDir);
    if (Files.isDirectory(runDir.resolve(POOL_DIR))) {
      killed += reapIn(runDir.resolve(POOL_DIR), runDir);
    }
    return killed;
  }

  private static int reapIn(Path dir, Path runDir) throws IOException {
    int killed = 0;
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(dir, "*.pid")) {
      for (Path f : pids) {
        try {
          long pid = Long.parseLong(Files.readString(f).trim());
          String vm = f.getFileName().toString().replaceFirst("\\.pid$", "");
          if (isOurVm(pid, dir.resolve(vm + ".sock")) || isOurPooledProcess(pid, runDir.resolve(POOL_DIR))) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            LOG.warn("killed orphaned VM process {} ({})", pid, f.getFileName());
            killed++;
          }
        } catch (NumberFormatException | IOException e) {
          LOG.debug("skipping {}: {}", f, e.toString());
        }
        Files.deleteIfExists(f);
      }
    }
    return killed;
  }

  /** Whether {@code pid} is a VM process whose control socket is {@code controlSocket}. */
  static boolean isOurVm(long pid, Path controlSocket) throws IOException {
    return guestCommandLineContains(pid, "\0--control\0" + controlSocket + "\0");
  }

  /** Whether {@code pid} is a pooled VM process (waiting or assigned) whose pool socket is in {@code poolDir}. */
  static boolean isOurPooledProcess(long pid, Path poolDir) throws IOException {
    return guestCommandLineContains(pid, "\0--pool\0--control\0" + poolDir + "/");
  }

  /** Whether {@code pid} runs the guest's main class with {@code part} in its NUL-separated command line. */
  private static boolean guestCommandLineContains(long pid, String part) throws IOException {
    Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
    if (!Files.exists(cmdline)) {
      return false;
    }
    // Arguments are separated by NUL bytes in /proc/PID/cmdline.
    String args = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8);
    return args.contains("io.roam.agent.guest.GuestMain") && args.contains(part);
  }
}
