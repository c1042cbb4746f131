package io.roam.agent.guest.programs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The "slow datastore" fault of chaos runs: while {@code <datastore>/faults/slow-datastore} holds a
 * number of milliseconds, every force of the kv log sleeps that long first (a stalled NFS server, a
 * saturated disk). Exists only in a VM started with the JVM property {@code roam.faults} (the
 * convention of the agent's FaultPoints); otherwise {@link #forDatastore} returns null and the log
 * pays nothing. The file is read at most every 100 ms.
 *
 * <p>Thread-safety: none; the VM's runtime thread only.
 */
final class SlowDatastoreFault {
  static final boolean ENABLED = System.getProperty("roam.faults") != null;
  private static final long CHECK_EVERY_NANOS = 100_000_000L;

  private final Path file;
  private long checkedAt;
  private boolean checkedOnce;
  private long delayMs;

  private SlowDatastoreFault(Path file) {
    this.file = file;
  }

  /** The hook for a datastore, or null when faults are off or there is no datastore. */
  static SlowDatastoreFault forDatastore(Path datastoreRoot) {
    return ENABLED && datastoreRoot != null ? new SlowDatastoreFault(file(datastoreRoot)) : null;
  }

  /** The hook whether or not faults are on (tests). */
  static SlowDatastoreFault always(Path datastoreRoot) {
    return new SlowDatastoreFault(file(datastoreRoot));
  }

  static Path file(Path datastoreRoot) {
    return datastoreRoot.resolve("faults").resolve("slow-datastore");
  }

  /** Sleeps as long as the fault file says (re-read at most every 100 ms). */
  void beforeForce() {
    long now = System.nanoTime();
    if (!checkedOnce || now - checkedAt >= CHECK_EVERY_NANOS) {
      checkedOnce = true;
      checkedAt = now;
      delayMs = read();
    }
    if (delayMs > 0) {
      try {
        Thread.sleep(delayMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private long read() {
    try {
      return Math.max(0, Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).trim()));
    } catch (IOException | NumberFormatException e) {
      return 0; // no file (the fault is off) or not a number
    }
  }
}
