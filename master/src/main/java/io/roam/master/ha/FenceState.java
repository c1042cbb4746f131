package io.roam.master.ha;

/** Where power fencing of a host stands, as the HA planner sees it. */
public enum FenceState {
  /** Not asked to fence this host since it was last connected. */
  NONE,
  /** The host has no power driver: HA waits out the failover delay. */
  NO_DRIVER,
  /** A power-off is under way: the host counts as neither fenced nor safe to act on. */
  PENDING,
  /** The driver powered the host off and read it back as off. */
  FENCED,
  /** The power-off failed, timed out or did not read back as off: HA waits out the failover delay. */
  FAILED
}
