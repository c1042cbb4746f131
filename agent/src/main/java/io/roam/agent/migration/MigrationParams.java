package io.roam.agent.migration;

/**
 * How one migration runs. Defaults as QEMU's: a 300 ms downtime limit, unlimited bandwidth,
 * auto-converge on.
 *
 * @param downtimeLimitMillis switch over once the remaining dirty bytes / bandwidth fit this
 * @param maxBandwidthBytesPerSecond 0 = unlimited
 * @param autoConverge throttle the guest when rounds stop shrinking
 * @param maxTotalMillis give up after this long; the VM keeps running on the source
 * @param verifyFullDigest also compare a digest of every page of both memories during the pause
 *     (slow for big VMs; tests use it to prove the copy is exact)
 */
public record MigrationParams(long downtimeLimitMillis, long maxBandwidthBytesPerSecond, boolean autoConverge,
    long maxTotalMillis, boolean verifyFullDigest) {

  /** The lowest bandwidth limit accepted (0 means none): below it a migration would hold its VM for days. */
  public static final long MIN_BANDWIDTH = io.roam.common.model.MigrationLimits.MIN_BANDWIDTH;
  /** The longest a migration may be allowed to take. */
  public static final long MAX_TOTAL_MILLIS = io.roam.common.model.MigrationLimits.MAX_TOTAL_MILLIS;

  public static final MigrationParams DEFAULTS = new MigrationParams(300, 0, true, 600_000, false);

  /**
   * Without auto-converge, a migration that has not fitted its downtime limit after this many
   * rounds fails as not converging (the VM stays on the source). A count of rounds, not a test of
   * "rounds stopped shrinking": a guest's dirty rate is noisy, and one lucky short round must not
   * decide whether a migration that cannot keep up is reported as such.
   */
  public static final int MAX_ROUNDS_WITHOUT_AUTO_CONVERGE = 30;

  public MigrationParams {
    if (downtimeLimitMillis <= 0) {
      throw new IllegalArgumentException("downtime limit must be positive, got " + downtimeLimitMillis + " ms");
    }
    String problem = io.roam.common.model.MigrationLimits.bandwidthProblem(maxBandwidthBytesPerSecond);
    if (problem == null) {
      problem = io.roam.common.model.MigrationLimits.maxTimeProblem(maxTotalMillis);
    }
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }
}
