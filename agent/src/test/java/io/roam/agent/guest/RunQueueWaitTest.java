package io.roam.agent.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run-queue wait of a process, from a /proc/self/task tree the test writes. */
class RunQueueWaitTest {
  @TempDir Path tasks;

  private void thread(String tid, long onCpu, long waited) throws Exception {
    Files.createDirectories(tasks.resolve(tid));
    Files.writeString(tasks.resolve(tid).resolve("schedstat"), onCpu + " " + waited + " 7\n");
  }

  @Test
  void sumsTheThreadsWaitsAndKeepsWhatAnEndedThreadWaited() throws Exception {
    RunQueueWait w = new RunQueueWait(tasks);
    thread("100", 5_000, 1_000);
    thread("101", 9_000, 2_000);
    assertThat(w.nanos()).isEqualTo(3_000);

    thread("101", 9_500, 2_600); // waited 600 more
    thread("102", 1_000, 400); // a new thread
    assertThat(w.nanos()).isEqualTo(4_000);

    Files.delete(tasks.resolve("100").resolve("schedstat"));
    Files.delete(tasks.resolve("100")); // ended: its 1,000 stay counted
    assertThat(w.nanos()).isEqualTo(4_000);

    thread("102", 2_000, 100); // the id came back on a new thread that has waited 100
    assertThat(w.nanos()).isEqualTo(4_100);
  }

  @Test
  void isZeroWhereThereIsNoSchedstat() {
    assertThat(new RunQueueWait(tasks.resolve("absent")).nanos()).isZero();
  }

  @Test
  void readsTheRunDelayField() {
    assertThat(RunQueueWait.runDelay("534919424 1558882165 285\n")).isEqualTo(1_558_882_165L);
  }
}
