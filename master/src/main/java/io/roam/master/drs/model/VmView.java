package io.roam.master.drs.model;

/**
 * A VM as the planners see it.
 *
 * @param host the host that owns it
 * @param cpuDemand CPU it uses, in cores (smoothed over the recent history)
 * @param memoryBytes its guest memory: what a host must have free to take it, and what a move copies
 * @param activeMemoryBytes memory it dirties per second or so: what a move copies again
 * @param lastMovedAtMs when it was last moved by anyone (migration or restart), or -1
 */
public record VmView(String name, String host, double cpuDemand, long memoryBytes, long activeMemoryBytes,
    long lastMovedAtMs) {

  public VmView on(String newHost, long movedAtMs) {
    return new VmView(name, newHost, cpuDemand, memoryBytes, activeMemoryBytes, movedAtMs);
  }

  public VmView withDemand(double demand) {
    return new VmView(name, host, demand, memoryBytes, activeMemoryBytes, lastMovedAtMs);
  }
}
