package io.roam.master.drs;

/**
 * One planned live migration.
 *
 * @param kind why it is needed at all
 * @param automatic whether the executor carries it out, or only recommends it
 * @param reason what it fixes or gains, for the operator
 */
public record Move(String vm, String from, String to, Kind kind, boolean automatic, String reason) {
  public enum Kind {
    /** Empties a host entering maintenance or standby. */
    EVACUATE,
    /** Fixes a broken rule. */
    RULE,
    /** Evens out load. */
    BALANCE
  }
}
