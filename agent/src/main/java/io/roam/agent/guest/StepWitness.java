package io.roam.agent.guest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Makes double-running visible: while the program steps, every {@code periodMs} the VM appends
 * {@code host pid timeMs steps} to a log on the datastore shared by every instance of the VM (each
 * line one O_APPEND write, so lines from two processes never interleave). A checker groups lines
 * by instance (host, pid) and finds any two instances whose stepping overlapped in time
 * (DESIGN.md invariant 1). Enabled by the agent setting agent.witness, for tests and chaos runs.
 */
public final class StepWitness implements AutoCloseable {
  private final FileChannel log;
  private final String prefix;
  private final long periodMs;
  private long lastMs;

  public StepWitness(Path file, String host, long periodMs) throws IOException {
    Files.createDirectories(file.getParent());
    this.log = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    this.prefix = host + " " + ProcessHandle.current().pid() + " ";
    this.periodMs = periodMs;
  }

  /** Called after each step; writes at most once a period. */
  public void stepped(long nowMs, long steps) {
    if (nowMs - lastMs < periodMs) {
      return;
    }
    lastMs = nowMs;
    try {
      log.write(ByteBuffer.wrap((prefix + nowMs + " " + steps + "\n").getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      // The witness is evidence for tests; a full datastore must not stop the VM.
    }
  }

  @Override
  public void close() throws IOException {
    log.close();
  }
}
