package io.roam.master.drs;

import java.util.List;
import java.util.Map;

/**
 * What one DRS pass decided.
 *
 * @param blocked VMs that must move (evacuation, broken rule) but cannot, with the reason
 */
public record DrsPlan(List<Move> moves, Map<String, String> blocked, double imbalanceBefore, double imbalanceAfter,
    double targetImbalance) {
  public DrsPlan {
    moves = List.copyOf(moves);
    blocked = Map.copyOf(blocked);
  }
}
