package io.roam.agent.guest;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * How long this process's threads have been runnable but waiting for a CPU: Linux's {@code
 * run_delay}, the second field of {@code /proc/self/task/<tid>/schedstat}, summed over the threads.
 * The leader adds it to the CPU time used to get the VM's CPU demand, the CPU it would have used
 * had it not waited (vSphere: used + ready): a VM on a crowded host shows what it asks for, not
 * only what it was given (DESIGN.md "Demand").
 *
 * <p>The total never decreases: a thread that has ended keeps what it waited, and a thread id
 * seen again with a smaller value is a new thread that counts from zero. Where there is no such
 * file (not Linux, schedstat off) it is 0 and demand is the CPU time used alone.
 *
 * <p>Thread-safety: {@link #nanos} is synchronized.
 */
public final class RunQueueWait {
  private final Path tasks;
  private Map<String, Long> lastByThread = new HashMap<>();
  private long total;

  RunQueueWait(Path tasks) {
    this.tasks = tasks;
  }

  public static RunQueueWait ofThisProcess() {
    return new RunQueueWait(Path.of("/proc/self/task"));
  }

  /** Nanoseconds waited on a run queue by this process's threads since it started (as far as seen). */
  public synchronized long nanos() {
    Map<String, Long> now = new HashMap<>();
    try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
      for (Path t : threads) {
        try {
          now.put(t.getFileName().toString(), runDelay(Files.readString(t.resolve("schedstat"))));
        } catch (IOException | RuntimeException ended) {
          // the thread ended while we listed: what it waited until the last look is counted
        }
      }
    } catch (IOException | RuntimeException unavailable) {
      return total;
    }
    for (Map.Entry<String, Long> e : now.entrySet()) {
      Long before = lastByThread.get(e.getKey());
      long waited = e.getValue();
      total += before == null || waited < before ? waited : waited - before;
    }
    lastByThread = now;
    return total;
  }

  /** The run_delay field of a schedstat line: "on-cpu-ns run-delay-ns timeslices". */
  static long runDelay(String schedstat) {
    return Long.parseLong(schedstat.trim().split("\\s+")[1]);
  }
}
