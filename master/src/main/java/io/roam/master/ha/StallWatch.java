package io.roam.master.ha;

import io.roam.master.hosts.HeartbeatReports.ReportedVm;
import io.roam.proto.VmState;

/**
 * VM monitoring's second signal: a VM that its agent reports running, with a valid lease and no
 * migration, whose heartbeat counter (bumped by every step, in guest memory) has not moved for
 * {@code timeoutMs} is hung, though its process lives (a deadlock, a stopped process).
 *
 * <p>A pure rule on the heartbeat reports: how long the counter stood still is measured between
 * heartbeats' arrival times, so it is only what the reports prove. Immutable.
 */
final class StallWatch {
  private final long timeoutMs;

  /** @param timeoutMs 0 turns the watch off */
  StallWatch(long timeoutMs) {
    this.timeoutMs = timeoutMs;
  }

  /**
   * How long the VM's counter has been stuck if it is hung, else -1.
   *
   * @param arrivedMs when the report showing {@code vm} arrived
   * @param notBeforeMs evidence older than this does not count (HA acted on the VM since, or its
   *     owner changed)
   */
  long stuckFor(ReportedVm vm, long arrivedMs, long notBeforeMs) {
    var load = vm.load();
    if (timeoutMs <= 0 || load.getState() != VmState.VM_STATE_RUNNING || load.getLeaseExpired()
        || !load.getMigrationId().isEmpty()) {
      return -1; // not expected to step: nothing to judge
    }
    long stuck = arrivedMs - Math.max(vm.counterSinceMs(), notBeforeMs);
    return stuck >= timeoutMs ? stuck : -1;
  }
}
