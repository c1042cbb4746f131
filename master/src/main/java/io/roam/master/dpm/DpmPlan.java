package io.roam.master.dpm;

import java.util.List;

/**
 * What one DPM pass decided, with the utilizations it decided on (NaN when the history is too
 * short to say).
 */
public record DpmPlan(List<PowerAction> actions, double powerOnUtilization, double powerOffUtilization, String note) {
  public DpmPlan {
    actions = List.copyOf(actions);
  }
}
