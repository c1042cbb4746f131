package io.roam.agent.migration;

/**
 * A snapshot of one migration's statistics, as QEMU's query-migrate reports them, and where its
 * time went ({@link MigrationPhases#NONE} until the VM runs on the destination).
 */
public record MigrationInfo(String id, String vm, String source, String destination, MigrationStatus status,
    long startedAtMillis, long totalTimeMillis, long setupTimeMillis, long expectedDowntimeMillis, long downtimeMillis,
    long bytesTransferred, long bytesRemaining, long bytesTotal, long zeroPages, long normalPages,
    double dirtyPagesPerSecond, double throughputBytesPerSecond, int rounds, int throttlePercent, String error,
    MigrationPhases phases) {

  /** Transferred / (transferred + remaining), as virsh shows it; 100 when completed. */
  public int percent() {
    if (status == MigrationStatus.COMPLETED) {
      return 100;
    }
    long denom = bytesTransferred + bytesRemaining;
    return denom == 0 ? 0 : (int) Math.min(99, bytesTransferred * 100 / denom);
  }
}
