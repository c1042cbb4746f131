package io.roam.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.time.Monotonic;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, window 8: the agent writes a VM's lease deadline in monotonic time and the VM process
 * compares it with its own monotonic time, so both must read one clock. On Linux, HotSpot's
 * nanoTime is CLOCK_MONOTONIC, shared by every process of the machine: a child process's reading,
 * taken between two readings of the parent, lies between them (to the millisecond of rounding).
 */
class SharedMonotonicClockTest {
  /** The child: prints its monotonic milliseconds once. */
  public static final class PrintMonotonic {
    public static void main(String[] args) {
      System.out.println(Monotonic.millis());
    }
  }

  @Test
  void anAgentAndAChildVmProcessReadTheSameMonotonicClock() throws Exception {
    for (int i = 0; i < 3; i++) {
      long before = Monotonic.millis();
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
          System.getProperty("java.class.path"), PrintMonotonic.class.getName()).redirectErrorStream(true).start();
      String line;
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        line = r.readLine();
      }
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      long after = Monotonic.millis();
      long child = Long.parseLong(line.trim());
      assertThat(child).as("the child's clock reading lies between the parent's").isBetween(before, after);
    }
  }
}
