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
      // A process just started shows its launcher's command line for a moment (the JDK starts it
      // through jspawnhelper, which then runs sh): scan until all three of ours have theirs.
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
        Map<String, List<VmProcesses.VmProcess>> s = VmProcesses.scan(mine);
        return s.getOrDefault("web", List.of()).size() + s.getOrDefault("db", List.of()).size() >= 3;
      });
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
