package io.roam.master.drs;

import java.util.List;
import java.util.Map;

/**
 * What one DRS pass decided.
 *
 * @param blocked VMs that must move (evacuation, broken rule) but cannot, with the reason
 * @param hostLoads before the moves, the load (CPU demand / cores) of each host that takes VMs: the
 *     loads whose standard deviation is {@code imbalanceBefore}
 */
public record DrsPlan(List<Move> moves, Map<String, String> blocked, double imbalanceBefore, double imbalanceAfter,
    double targetImbalance, Map<String, Double> hostLoads) {
  public DrsPlan {
    moves = List.copyOf(moves);
    blocked = Map.copyOf(blocked);
    hostLoads = Map.copyOf(hostLoads);
  }
}
