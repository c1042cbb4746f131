package io.roam.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./roam chaos} stopped by SIGTERM (an operator's Ctrl-C, a CI timeout) leaves nothing
 * running: every daemon and VM process it started is gone once it has exited.
 */
class ChaosTeardownTest {
  @TempDir Path dir;

  @Test
  void aChaosRunStoppedBySigtermStopsEveryProcessItStarted() throws Exception {
    Process run = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-Djava.io.tmpdir=" + dir, "-cp", System.getProperty("java.class.path"), ChaosRun.class.getName(),
        "--rounds", "1000", "--seed", "1").redirectErrorStream(true).start();
    List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
    List<ProcessHandle> started = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(run.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      boolean rounds = false;
      while (!rounds && (line = out.readLine()) != null) {
        output.add(line);
        rounds = line.startsWith("round "); // the cluster is up, its VMs run, the faults have begun
      }
      assertThat(rounds).as("the run reached its first round: %s", output).isTrue();
      started.addAll(run.descendants().toList());
      assertThat(started).as("daemons and VMs the run started").hasSizeGreaterThanOrEqualTo(7);

      run.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its output)
      Thread drain = new Thread(() -> out.lines().forEach(output::add));
      drain.setDaemon(true);
      drain.start();
      assertThat(run.waitFor(120, TimeUnit.SECONDS)).as("the run exits after SIGTERM").isTrue();
      drain.join(5_000);
      for (ProcessHandle p : started) {
        try {
          p.onExit().get(30, TimeUnit.SECONDS); // a bounded wait: a killed process may be reaped a moment late
        } catch (java.util.concurrent.TimeoutException stillAlive) {
          // the assertion below says which
        }
        assertThat(p.isAlive()).as("process %d (%s) after the run exited; output %s", p.pid(),
            p.info().commandLine().orElse("?"), output).isFalse();
      }
      assertThat(String.join("\n", output)).contains("tearing the cluster down");
    } finally {
      run.destroyForcibly();
      started.forEach(ProcessHandle::destroyForcibly);
    }
  }
}
