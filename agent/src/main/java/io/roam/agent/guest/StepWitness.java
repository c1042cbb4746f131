package io.roam.agent.guest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Makes double-running visible: the VM appends one line per run of consecutive steps to a log on
 * the datastore shared by every instance of the VM,
 *
 * <pre>
 *   host pid fromMs toMs steps
 * </pre>
 *
 * where {@code fromMs} is the machine's monotonic clock (CLOCK_MONOTONIC, one clock for every process of the machine, so the witness compares the VMs of one machine; the clock the lease is checked on) at the start of the run's first step, {@code toMs} at the
 * end of its last step, and {@code steps} the VM's step counter after that step. A run is written
 * when it is {@code periodMs} long, and always before the step loop blocks or stops (pause, lease
 * run out, stop), so a gap in stepping is a gap between lines; with period 0 each step is a line.
 * Each line is one write to a file opened with O_APPEND, so lines of two processes on one host
 * never interleave. A checker groups lines by instance (host, pid) and looks for two instances
 * whose intervals overlap (DESIGN.md invariant 1). Enabled by the agent settings agent.witness and
 * agent.witness-period-ms, for tests and chaos runs.
 *
 * <p>Thread-safety: the runtime thread only.
 */
public final class StepWitness implements AutoCloseable {
  private final FileChannel log;
  private final String prefix;
  private final long periodMs;
  private boolean inRun;
  private long fromMs;
  private long toMs;
  private long steps;

  public StepWitness(Path file, String host, long periodMs) throws IOException {
    if (periodMs < 0) {
      throw new IllegalArgumentException("witness period must not be negative, got " + periodMs);
    }
    Files.createDirectories(file.getParent());
    this.log = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    this.prefix = host + " " + ProcessHandle.current().pid() + " ";
    this.periodMs = periodMs;
  }

  /** Records one step, from its start to its end; writes the run once it is a period long. */
  public void stepped(long startMs, long endMs, long stepsAfter) {
    if (!inRun) {
      inRun = true;
      fromMs = startMs;
    }
    toMs = endMs;
    steps = stepsAfter;
    if (toMs - fromMs >= periodMs) {
      flush();
    }
  }

  /** Writes the run in progress, if any (before the loop blocks or stops). */
  public void flush() {
    if (!inRun) {
      return;
    }
    inRun = false;
    try {
      log.write(ByteBuffer.wrap((prefix + fromMs + " " + toMs + " " + steps + "\n").getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      // The witness is evidence for tests; a full datastore must not stop the VM.
    }
  }

  @Override
  public void close() throws IOException {
    flush();
    log.close();
  }
}
