package io.roam.master.hosts;

import io.roam.proto.HostHeartbeat;
import io.roam.proto.VmLoad;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each host's latest heartbeat said about its VMs, with the time it arrived on this master's
 * monotonic clock: VM monitoring reads VM states here instead of asking every agent about every VM
 * on every pass. For each VM it also keeps since when the heartbeats have shown its state (a
 * destination stuck INCOMING) and its step counter (a hung VM) unchanged.
 *
 * <p>Thread-safe: the heartbeat streams write, the HA pass reads; each host's report is immutable.
 */
public final class HeartbeatReports {
  /**
   * One VM in a host's latest heartbeat.
   *
   * @param stateSinceMs arrival of the first of the consecutive heartbeats showing this state
   * @param counterSinceMs arrival of the first of the consecutive heartbeats showing this step
   *     counter with the same state, lease flag and migration
   */
  public record ReportedVm(VmLoad load, long stateSinceMs, long counterSinceMs) {}

  /** A host's latest heartbeat: its VMs by name, and when it arrived (monotonic ms). */
  public record HostReport(String host, long seq, long arrivedMs, Map<String, ReportedVm> vms) {
    public HostReport {
      vms = Map.copyOf(vms);
    }
  }

  private final Map<String, HostReport> latest = new ConcurrentHashMap<>();

  /** Records a heartbeat that arrived at {@code arrivedMs} (this master's {@code Monotonic.millis()}). */
  public void record(HostHeartbeat hb, long arrivedMs) {
    latest.compute(hb.getHost(), (host, before) -> next(before, hb, arrivedMs));
  }

  /** The latest report of every host heard since this master started. */
  public Map<String, HostReport> latest() {
    return Map.copyOf(latest);
  }

  static HostReport next(HostReport before, HostHeartbeat hb, long arrivedMs) {
    Map<String, ReportedVm> vms = new HashMap<>();
    for (VmLoad v : hb.getVmsList()) {
      ReportedVm prev = before == null ? null : before.vms().get(v.getName());
      long stateSince = prev != null && prev.load().getState() == v.getState() ? prev.stateSinceMs() : arrivedMs;
      long counterSince = prev != null && sameSteps(prev.load(), v) ? prev.counterSinceMs() : arrivedMs;
      vms.put(v.getName(), new ReportedVm(v, stateSince, counterSince));
    }
    return new HostReport(hb.getHost(), hb.getSeq(), arrivedMs, vms);
  }

  private static boolean sameSteps(VmLoad a, VmLoad b) {
    return a.getState() == b.getState() && a.getHeartbeat() == b.getHeartbeat()
        && a.getLeaseExpired() == b.getLeaseExpired() && a.getMigrationId().equals(b.getMigrationId());
  }
}
