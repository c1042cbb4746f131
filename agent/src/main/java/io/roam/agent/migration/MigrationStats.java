package io.roam.agent.migration;

/** The live statistics of one migration; written by its migrator, read by anyone. */
final class MigrationStats {
  private final String id;
  private final String vm;
  private final String source;
  private final String destination;
  private final long bytesTotal;
  private final long startedAtMillis = System.currentTimeMillis();
  private final long startNanos = System.nanoTime();

  private MigrationStatus status = MigrationStatus.SETUP;
  private long endNanos;
  private long setupTimeMillis;
  private long expectedDowntimeMillis;
  private long downtimeMillis;
  private long bytesTransferred;
  private long bytesRemaining;
  private long zeroPages;
  private long normalPages;
  private double dirtyPagesPerSecond;
  private double throughput;
  private int rounds;
  private int throttlePercent;
  private String error = "";
  private MigrationPhases phases = MigrationPhases.NONE;

  MigrationStats(String id, String vm, String source, String destination, long bytesTotal) {
    this.id = id;
    this.vm = vm;
    this.source = source;
    this.destination = destination;
    this.bytesTotal = bytesTotal;
    this.bytesRemaining = bytesTotal;
  }

  synchronized boolean moveTo(MigrationStatus next, String why) {
    if (!status.canMoveTo(next)) {
      return false;
    }
    status = next;
    if (next == MigrationStatus.ACTIVE) {
      setupTimeMillis = (System.nanoTime() - startNanos) / 1_000_000;
    }
    if (next.isFinal()) {
      if (endNanos == 0) {
        endNanos = System.nanoTime();
      }
      error = why == null ? "" : why;
      if (next == MigrationStatus.COMPLETED) {
        bytesRemaining = 0;
      }
    }
    return true;
  }

  synchronized MigrationStatus status() {
    return status;
  }

  synchronized void sent(long pages, long zeros) {
    normalPages += pages;
    zeroPages += zeros;
    bytesTransferred += pages * 4096L;
    // Live progress within a round; the round's end replaces it with the measured dirty bytes.
    bytesRemaining = Math.max(0, bytesRemaining - (pages + zeros) * 4096L);
    if (status == MigrationStatus.ACTIVE) {
      long copying = System.nanoTime() - startNanos - setupTimeMillis * 1_000_000;
      if (copying > 0) {
        throughput = bytesTransferred * 1e9 / copying;
      }
    }
  }

  synchronized void round(int round, double bandwidth, double dirtyRate, long remaining, long expectedDowntime) {
    rounds = round;
    throughput = bandwidth;
    dirtyPagesPerSecond = dirtyRate;
    bytesRemaining = remaining;
    expectedDowntimeMillis = expectedDowntime;
  }

  /** Counts the stop-and-copy round; the estimates of the last pre-copy round stay for the report. */
  synchronized void stopAndCopyRound(int round) {
    rounds = round;
    bytesRemaining = 0;
  }

  synchronized void throttle(int percent) {
    throttlePercent = percent;
  }

  /**
   * The VM runs on the destination: the migration's time ends here, as QEMU counts it, though the
   * status turns completed only once the source copy is gone (a new migration may follow at once).
   */
  synchronized void resumed(long downtime, MigrationPhases phases) {
    downtimeMillis = downtime;
    this.phases = phases;
    endNanos = System.nanoTime();
  }

  synchronized MigrationInfo snapshot() {
    long end = endNanos != 0 ? endNanos : System.nanoTime();
    long total = (end - startNanos) / 1_000_000;
    // Like QEMU's "mbps": the rate of the copy itself, without the destination's preparation.
    long copying = total - setupTimeMillis;
    double avg = status == MigrationStatus.COMPLETED && copying > 0 ? bytesTransferred * 1000.0 / copying : throughput;
    return new MigrationInfo(id, vm, source, destination, status, startedAtMillis, total, setupTimeMillis,
        expectedDowntimeMillis, downtimeMillis, bytesTransferred, bytesRemaining, bytesTotal, zeroPages, normalPages,
        dirtyPagesPerSecond, avg, rounds, throttlePercent, error, phases);
  }
}
