package io.roam.master.scheduler;

/**
 * A DRS move or DPM power action waiting for an operator (manual or partial automation).
 *
 * @param kind evacuate, rule, balance, power-on or power-off
 * @param vm the VM to move, empty for power actions
 */
public record Recommendation(String id, String kind, String vm, String from, String to, String reason) {
  /** What makes two passes' recommendations the same one: the action, not its id or reason. */
  String sameAs() {
    return kind + "\0" + vm + "\0" + from + "\0" + to;
  }
}
