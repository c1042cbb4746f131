package io.roam.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The process scan finds VM processes by their command line, only those of its memory directory. */
class VmProcessesTest {
  @Test
  void findsProcessesThatLookLikeVmsOfThisClusterOnly() throws Exception {
    Path mine = Path.of("/dev/shm/roam-chaos-scan-" + ProcessHandle.current().pid());
    List<Process> ps = List.of(fake("web", "host1", mine), fake("web", "host2", mine), fake("db", "host1", mine),
        fake("web", "host3", Path.of("/dev/shm/someone-else")));
    try {
      Map<String, List<VmProcesses.VmProcess>> scan = VmProcesses.scan(mine);
      assertThat(scan.get("web")).extracting(VmProcesses.VmProcess::host).containsExactlyInAnyOrder("host1", "host2");
      assertThat(VmProcesses.check(List.of("web", "db", "gone"), scan)).extracting(Violation::subject)
          .containsExactly("web", "gone");
    } finally {
      ps.forEach(Process::destroyForcibly);
    }
  }

  /** A sleeping shell whose arguments look like a VM launched by VmLauncher. */
  private static Process fake(String vm, String host, Path memoryDir) throws Exception {
    return new ProcessBuilder("sh", "-c", "sleep 60", "-Droam.vm=" + vm, "-Droam.host=" + host,
        "io.roam.agent.guest.GuestMain", "--memory", memoryDir.resolve(host).resolve(vm + ".mem").toString()).start();
  }
}
