package io.roam.master.dpm;

import java.util.Map;

/**
 * How DPM keeps the cluster's powered-on utilization in its band.
 *
 * @param target utilization DPM aims for (vSphere: 63 %)
 * @param tolerance half-width of the band around the target (vSphere: 18 %, so 45 % to 81 %)
 * @param powerOnWindowMs demand window for powering on: short, to react quickly (vSphere: 5 min)
 * @param powerOffWindowMs demand window for powering off: long, so a lull does not switch hosts off
 *     (vSphere: 40 min)
 * @param haFailuresToTolerate hosts DPM must leave room for (HA admission control)
 * @param minHostsOn hosts that stay on whatever the demand
 */
public record DpmSettings(DpmLevel level, Map<String, DpmLevel> hostOverrides, double target, double tolerance,
    long powerOnWindowMs, long powerOffWindowMs, int haFailuresToTolerate, int minHostsOn) {
  public DpmSettings {
    if (target <= 0 || target >= 1 || tolerance < 0 || target + tolerance > 1 || target - tolerance < 0) {
      throw new IllegalArgumentException("DPM band " + target + " ± " + tolerance + " must lie within 0..1");
    }
    if (powerOnWindowMs <= 0 || powerOffWindowMs <= 0) {
      throw new IllegalArgumentException("DPM demand windows must be positive");
    }
    hostOverrides = Map.copyOf(hostOverrides);
  }

  public static DpmSettings defaults() {
    return new DpmSettings(DpmLevel.AUTOMATIC, Map.of(), 0.63, 0.18, 5 * 60_000L, 40 * 60_000L, 1, 1);
  }

  public DpmSettings withLevel(DpmLevel l) {
    return new DpmSettings(l, hostOverrides, target, tolerance, powerOnWindowMs, powerOffWindowMs, haFailuresToTolerate,
        minHostsOn);
  }

  public DpmSettings withHostOverrides(Map<String, DpmLevel> o) {
    return new DpmSettings(level, o, target, tolerance, powerOnWindowMs, powerOffWindowMs, haFailuresToTolerate,
        minHostsOn);
  }

  public DpmSettings withWindows(long onMs, long offMs) {
    return new DpmSettings(level, hostOverrides, target, tolerance, onMs, offMs, haFailuresToTolerate, minHostsOn);
  }

  public DpmSettings withBand(double t, double tol) {
    return new DpmSettings(level, hostOverrides, t, tol, powerOnWindowMs, powerOffWindowMs, haFailuresToTolerate,
        minHostsOn);
  }

  public DpmSettings withFailuresToTolerate(int n) {
    return new DpmSettings(level, hostOverrides, target, tolerance, powerOnWindowMs, powerOffWindowMs, n, minHostsOn);
  }

  /**
   * How long a DemandHistory fed to the planner must keep samples: twice the longest window, since
   * the planner powers off only once the history spans a whole power-off window, and a history
   * trimmed to exactly one window would span it only when a sample falls on the edge.
   */
  public long historyToKeepMs() {
    return 2 * Math.max(powerOnWindowMs, powerOffWindowMs);
  }

  public DpmLevel levelOf(String host) {
    return level == DpmLevel.OFF ? DpmLevel.OFF : hostOverrides.getOrDefault(host, level);
  }

  public double high() {
    return target + tolerance;
  }

  public double low() {
    return target - tolerance;
  }
}
