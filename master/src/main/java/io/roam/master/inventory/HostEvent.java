package io.roam.master.inventory;

/**
 * Something that asks a host to change mode. Each has one writer: operators (through the API),
 * DPM and the scheduler's bookkeeping, or the host monitor. {@link HostTransitions#apply} says what
 * each does from each mode.
 */
public enum HostEvent {
  /** An operator asks for maintenance: the host takes no VMs and DRS empties it. */
  OPERATOR_ENTER_MAINTENANCE("operator"),
  /** An operator ends maintenance (or cancels it while the host is still being emptied). */
  OPERATOR_EXIT_MAINTENANCE("operator"),
  /** An operator asks for the host to be emptied and powered off. */
  OPERATOR_POWER_OFF("operator"),
  /** An operator powers a standby host on (clearing a failed wake). */
  OPERATOR_POWER_ON("operator"),
  /** DPM decides to empty the host and power it off. */
  DPM_ENTER_STANDBY("dpm"),
  /** DPM needs a host it was emptying after all. */
  DPM_CANCEL_STANDBY("dpm"),
  /** The last VM left a host entering maintenance. */
  EVACUATED("scheduler"),
  /** The power driver powered off an emptied host. */
  POWERED_OFF("dpm"),
  /** An emptied host has no power driver: it stays on and takes VMs again. */
  STANDBY_FAILED("dpm"),
  /** DPM powered a standby host on. */
  WAKE("dpm"),
  /** Powering on failed, or the agent did not come back within the wake timeout. */
  WAKE_FAILED("dpm"),
  /** The agent of a waking or standby host holds a ZooKeeper session again. */
  AGENT_BACK("host-monitor");

  private final String by;

  HostEvent(String by) {
    this.by = by;
  }

  /** Who causes this event, as recorded in {@link HostControl#by()}. */
  public String by() {
    return by;
  }
}
