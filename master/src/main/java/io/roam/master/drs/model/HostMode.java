package io.roam.master.drs.model;

/** What a host is doing, as far as placing VMs on it goes. */
public enum HostMode {
  /** Takes VMs. */
  CONNECTED,
  /** Being emptied for maintenance: takes no VMs, DRS moves its VMs away. */
  ENTERING_MAINTENANCE,
  /** Empty and held out of use by an operator. */
  MAINTENANCE,
  /** Being emptied by DPM so that it can be powered off. */
  ENTERING_STANDBY,
  /** Powered off by DPM; DPM may wake it. */
  STANDBY,
  /** Powered on and booting (DPM woke it); takes no VMs yet. */
  WAKING,
  /** Not reachable (its agent's session is gone). */
  DISCONNECTED;

  /** Whether VMs may be placed on, or moved to, a host in this mode. */
  public boolean takesVms() {
    return this == CONNECTED;
  }

  /** Whether DRS must move every VM off a host in this mode. */
  public boolean evacuating() {
    return this == ENTERING_MAINTENANCE || this == ENTERING_STANDBY;
  }

  /** Whether the host is powered on and counted in the cluster's capacity. */
  public boolean poweredOn() {
    return this != STANDBY && this != DISCONNECTED;
  }
}
