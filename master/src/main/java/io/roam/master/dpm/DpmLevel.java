package io.roam.master.dpm;

/** How much DPM may do by itself, for the cluster or one host. */
public enum DpmLevel {
  /** DPM leaves the host (or every host) powered as it is. */
  OFF,
  /** DPM recommends power actions; an operator carries them out. */
  MANUAL,
  /** DPM powers hosts off and on by itself. */
  AUTOMATIC
}
