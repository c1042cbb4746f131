package io.roam.master.inventory;

import io.roam.master.drs.model.HostMode;

/**
 * What operators and DPM have asked of a host (/roam/hosts/&lt;h&gt;/control). Absent means
 * CONNECTED: the host takes VMs when its agent is up.
 *
 * @param mode CONNECTED, ENTERING_MAINTENANCE, MAINTENANCE, ENTERING_STANDBY, STANDBY or WAKING
 * @param wakeFailed DPM tried to wake the host and it did not come up: DPM leaves it alone until
 *     an operator clears it
 * @param sinceMs when the mode was set
 * @param by who set it ("operator", "dpm")
 * @param dpm this host's DPM level ("off", "manual", "automatic"), or empty for the cluster's
 */
public record HostControl(HostMode mode, boolean wakeFailed, long sinceMs, String by, String dpm) {
  public static final HostControl CONNECTED = new HostControl(HostMode.CONNECTED, false, 0, "", "");

  public HostControl {
    dpm = dpm == null ? "" : dpm;
  }

  public HostControl withMode(HostMode m, long now, String who) {
    return new HostControl(m, wakeFailed, now, who, dpm);
  }

  public HostControl withWakeFailed(boolean failed) {
    return new HostControl(mode, failed, sinceMs, by, dpm);
  }

  public HostControl withDpm(String level) {
    return new HostControl(mode, wakeFailed, sinceMs, by, level);
  }
}
