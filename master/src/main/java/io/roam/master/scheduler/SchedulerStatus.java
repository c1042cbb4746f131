package io.roam.master.scheduler;

import java.util.List;
import java.util.Map;

/**
 * What the last scheduler pass saw and decided, for `roamctl drs status`.
 *
 * @param hostLoads the load (CPU demand / cores) DRS saw on each host that takes VMs
 */
public record SchedulerStatus(long passTimeMs, double imbalance, double targetImbalance, int threshold,
    String automation, String dpmLevel, double utilizationShort, double utilizationLong,
    List<Recommendation> recommendations, Map<String, String> blocked, String dpmNote, double dpmTarget,
    double dpmTolerance, Map<String, Double> hostLoads) {
  public static final SchedulerStatus NONE = new SchedulerStatus(0, 0, 0, 0, "", "", Double.NaN, Double.NaN,
      List.of(), Map.of(), "no pass yet", 0, 0, Map.of());
}
