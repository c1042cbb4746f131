package io.roam.chaos;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The VM processes of one cluster on this machine, found by their command lines: VmLauncher starts
 * each VM as {@code java ... -Droam.vm=NAME [-Droam.host=HOST] ... io.roam.agent.guest.GuestMain
 * --memory FILE ...}, its guest memory file under the cluster's memory directory. A VM started in a
 * pooled process ({@code ... GuestMain --pool --control SOCKET}, VmProcessPool) has no VM on its
 * command line: it is found by the guest memory file it maps ({@code /proc/PID/maps}), and a pooled
 * process that maps none is waiting, not a VM. Stateless.
 */
public final class VmProcesses {
  private VmProcesses() {}

  /** One VM process. */
  public record VmProcess(String vm, String host, long pid, String commandLine) {}

  /** The VM processes whose guest memory lives under {@code memoryDir}, by VM name. */
  public static Map<String, List<VmProcess>> scan(Path memoryDir) {
    Map<String, List<VmProcess>> out = new TreeMap<>();
    String under = memoryDir.toString() + "/";
    ProcessHandle.allProcesses().forEach(p -> {
      String[] args = arguments(p);
      if (args == null) {
        return;
      }
      String vm = null;
      String host = "?";
      boolean guest = false;
      boolean ours = false;
      boolean pooled = false;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.startsWith("-Droam.vm=")) {
          vm = a.substring("-Droam.vm=".length());
        } else if (a.startsWith("-Droam.host=")) {
          host = a.substring("-Droam.host=".length());
        } else if (a.equals("io.roam.agent.guest.GuestMain")) {
          guest = true;
        } else if (a.equals("--memory") && i + 1 < args.length && args[i + 1].startsWith(under)) {
          ours = true;
        } else if (a.equals("--pool")) {
          pooled = true;
        }
      }
      if (guest && pooled) {
        vm = mappedVm(p.pid(), under);
        ours = vm != null;
      }
      if (guest && ours && vm != null) {
        out.computeIfAbsent(vm, k -> new ArrayList<>()).add(new VmProcess(vm, host, p.pid(), String.join(" ", args)));
      }
    });
    return out;
  }

  /** The VM whose guest memory file ({@code <under>...<vm>.mem}) the process maps, or null. */
  private static String mappedVm(long pid, String under) {
    try {
      for (String line : java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(pid), "maps"))) {
        int at = line.indexOf(under);
        if (at >= 0) {
          String file = line.substring(at + under.length()).replace(" (deleted)", "");
          if (file.endsWith(".mem")) { // <host>/<vm>.mem
            return file.substring(file.lastIndexOf('/') + 1, file.length() - ".mem".length());
          }
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // gone, or not Linux
    }
    return null;
  }

  /**
   * A process's arguments from /proc/PID/cmdline (NUL-separated, complete: ProcessHandle.Info gives
   * nothing for command lines as long as a VM's class path), else from ProcessHandle.Info.
   */
  private static String[] arguments(ProcessHandle p) {
    try {
      byte[] raw = java.nio.file.Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
      if (raw.length > 0) {
        return new String(raw, java.nio.charset.StandardCharsets.UTF_8).split("\0");
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return p.info().arguments().orElse(null);
  }

  /** A violation for every VM of {@code vms} that does not have exactly one process. */
  public static List<Violation> check(List<String> vms, Map<String, List<VmProcess>> scan) {
    List<Violation> out = new ArrayList<>();
    for (String vm : vms) {
      List<VmProcess> ps = scan.getOrDefault(vm, List.of());
      if (ps.size() != 1) {
        out.add(new Violation("not-exactly-one-process", vm, ps.size() + " process(es): "
            + ps.stream().map(p -> p.host() + "/" + p.pid()).toList()));
      }
    }
    return out;
  }
}
