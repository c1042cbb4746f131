package io.roam.master.drs;

import java.util.Map;

/**
 * How DRS balances.
 *
 * @param threshold 1 (only mandatory moves: rules, maintenance, standby) to 5 (even slight
 *     improvements), as vSphere's migration threshold
 * @param vmOverrides per-VM automation that replaces {@code automation}
 * @param maxMovesPerHost migrations one host takes part in at a time (in flight plus planned)
 * @param maxMovesPerCluster migrations in the whole cluster at a time
 * @param hysteresisMs a VM moved less than this long ago is not moved again to balance load
 * @param costPerGiB how much a move's required benefit grows per GiB of memory it copies
 */
public record DrsSettings(int threshold, Automation automation, Map<String, Automation> vmOverrides, int maxMovesPerHost,
    int maxMovesPerCluster, long hysteresisMs, double costPerGiB) {

  /** Target imbalance (standard deviation of host loads) by threshold; index 0 unused. */
  private static final double[] TARGET = {0, Double.POSITIVE_INFINITY, 0.20, 0.10, 0.05, 0.02};
  /**
   * Least reduction of the sum of squared load deviations a 0-GiB move must bring, by threshold.
   * A sum rather than the standard deviation, so that one move's worth does not shrink as the
   * cluster grows.
   */
  private static final double[] MIN_GAIN = {0, Double.POSITIVE_INFINITY, 0.02, 0.01, 0.005, 0.001};

  public DrsSettings {
    if (threshold < 1 || threshold > 5) {
      throw new IllegalArgumentException("DRS threshold must be 1 to 5, got " + threshold);
    }
    if (automation == Automation.DISABLED) {
      throw new IllegalArgumentException("DISABLED is a per-VM override, not a cluster automation level");
    }
    if (maxMovesPerHost < 1 || maxMovesPerCluster < 1) {
      throw new IllegalArgumentException("migration caps must be at least 1");
    }
    vmOverrides = Map.copyOf(vmOverrides);
  }

  public static DrsSettings defaults() {
    return new DrsSettings(3, Automation.FULL, Map.of(), 4, 8, 30 * 60_000L, 0.25);
  }

  public DrsSettings withThreshold(int t) {
    return new DrsSettings(t, automation, vmOverrides, maxMovesPerHost, maxMovesPerCluster, hysteresisMs, costPerGiB);
  }

  public DrsSettings withAutomation(Automation a) {
    return new DrsSettings(threshold, a, vmOverrides, maxMovesPerHost, maxMovesPerCluster, hysteresisMs, costPerGiB);
  }

  public DrsSettings withVmOverrides(Map<String, Automation> o) {
    return new DrsSettings(threshold, automation, o, maxMovesPerHost, maxMovesPerCluster, hysteresisMs, costPerGiB);
  }

  public DrsSettings withCaps(int perHost, int perCluster) {
    return new DrsSettings(threshold, automation, vmOverrides, perHost, perCluster, hysteresisMs, costPerGiB);
  }

  public DrsSettings withHysteresisMs(long ms) {
    return new DrsSettings(threshold, automation, vmOverrides, maxMovesPerHost, maxMovesPerCluster, ms, costPerGiB);
  }

  public double targetImbalance() {
    return TARGET[threshold];
  }

  public double minGain() {
    return MIN_GAIN[threshold];
  }

  public Automation automationOf(String vm) {
    return vmOverrides.getOrDefault(vm, automation);
  }
}
