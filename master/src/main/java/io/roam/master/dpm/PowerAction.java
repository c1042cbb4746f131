package io.roam.master.dpm;

/**
 * One DPM decision. Powering off means: mark the host entering standby (DRS evacuates it), and
 * power it off through its driver once it is empty.
 */
public record PowerAction(String host, Kind kind, boolean automatic, String reason) {
  public enum Kind { POWER_ON, POWER_OFF }
}
