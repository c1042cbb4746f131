package io.roam.master.scheduler;

import java.util.List;
import java.util.Map;

/** What the last scheduler pass saw and decided, for `roamctl drs status`. */
public record SchedulerStatus(long passTimeMs, double imbalance, double targetImbalance, int threshold,
    String automation, String dpmLevel, double utilizationShort, double utilizationLong,
    List<Recommendation> recommendations, Map<String, String> blocked, String dpmNote, double dpmTarget,
    double dpmTolerance) {
  public static final SchedulerStatus NONE = new SchedulerStatus(0, 0, 0, 0, "", "", Double.NaN, Double.NaN,
      List.of(), Map.of(), "no pass yet", 0, 0);
}
