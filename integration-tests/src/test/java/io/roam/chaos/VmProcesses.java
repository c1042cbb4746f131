package io.roam.chaos;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The VM processes of one cluster on this machine, found by their command lines: VmLauncher starts
 * each VM as {@code java ... -Droam.vm=NAME [-Droam.host=HOST] ... io.roam.agent.guest.GuestMain
 * --memory FILE ...}, its guest memory file under the cluster's memory directory. Stateless.
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
      String[] args = p.info().arguments().orElse(null);
      if (args == null) {
        return;
      }
      String vm = null;
      String host = "?";
      boolean guest = false;
      boolean ours = false;
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
        }
      }
      if (guest && ours && vm != null) {
        out.computeIfAbsent(vm, k -> new ArrayList<>()).add(new VmProcess(vm, host, p.pid(),
            p.info().commandLine().orElse("")));
      }
    });
    return out;
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
