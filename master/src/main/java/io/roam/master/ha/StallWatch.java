package io.roam.master.ha;

import io.roam.proto.VmInfo;
import io.roam.proto.VmState;
import java.util.HashMap;
import java.util.Map;

/**
 * VM monitoring's second signal: a VM that its agent reports running, with a valid lease and no
 * migration, whose heartbeat counter (bumped by every step, in guest memory) has not moved for
 * {@code timeoutMs} is hung, though its process lives (a deadlock, a stopped process).
 */
final class StallWatch {
  private record Seen(long heartbeat, long sinceMs) {}

  private final long timeoutMs;
  private final Map<String, Seen> seen = new HashMap<>();

  /** @param timeoutMs 0 turns the watch off */
  StallWatch(long timeoutMs) {
    this.timeoutMs = timeoutMs;
  }

  /** How long the VM's counter has been stuck if it is hung now, else -1. */
  long stuckFor(String vm, VmInfo info, long nowMs) {
    if (timeoutMs <= 0 || info.getState() != VmState.VM_STATE_RUNNING || info.getLeaseExpired()
        || !info.getMigrationId().isEmpty()) {
      seen.remove(vm); // not expected to step: nothing to judge
      return -1;
    }
    Seen s = seen.get(vm);
    if (s == null || s.heartbeat() != info.getHeartbeat()) {
      seen.put(vm, new Seen(info.getHeartbeat(), nowMs));
      return -1;
    }
    long stuck = nowMs - s.sinceMs();
    return stuck >= timeoutMs ? stuck : -1;
  }

  void forget(String vm) {
    seen.remove(vm);
  }
}
