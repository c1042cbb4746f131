package io.roam.common.model;

/**
 * Bounds on a migration's knobs, the same for the master's request validation, the cluster
 * defaults in the configuration and the agent's parameters: a migration paced at a few bytes per
 * second, or allowed to run for months, would hold its VM's queue that long.
 */
public final class MigrationLimits {
  /** The lowest bandwidth cap accepted, bytes per second (0 means no cap). */
  public static final long MIN_BANDWIDTH = 1L << 20;
  /** The longest time limit a migration may be given, ms. */
  public static final long MAX_TOTAL_MILLIS = 24L * 3600 * 1000;

  private MigrationLimits() {}

  /** Null when the cap is 0 (none) or at least {@link #MIN_BANDWIDTH}; otherwise why not, in one line. */
  public static String bandwidthProblem(long bytesPerSecond) {
    if (bytesPerSecond == 0 || bytesPerSecond >= MIN_BANDWIDTH) {
      return null;
    }
    return "max bandwidth must be 0 (unlimited) or at least 1 MiB/s, got " + bytesPerSecond + " bytes/s";
  }

  /** Null when the time limit is from 1 ms to {@link #MAX_TOTAL_MILLIS}; otherwise why not, in one line. */
  public static String maxTimeProblem(long millis) {
    if (millis >= 1 && millis <= MAX_TOTAL_MILLIS) {
      return null;
    }
    return "max time must be from 1 ms to 24 h (" + MAX_TOTAL_MILLIS + " ms), got " + millis + " ms";
  }
}
