package io.roam.master.hosts;

import java.util.Locale;

/** The leader's verdict on a host, as `roamctl host ls` shows it. */
public enum HostState {
  CONNECTED,
  /** Session alive but the heartbeat stream silent, or session gone for less than the failover delay. */
  NOT_RESPONDING,
  /** Session gone but the datastore heartbeat still moving: cut off from ZooKeeper, not dead. */
  ISOLATED,
  /** Session gone for the failover delay and the datastore heartbeat stopped. */
  FAILED,
  ENTERING_MAINTENANCE,
  MAINTENANCE,
  ENTERING_STANDBY,
  STANDBY,
  WAKING;

  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
