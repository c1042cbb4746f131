package io.roam.master.drs.model;

/**
 * A VM as the planners see it.
 *
 * @param host the host that owns it
 * @param cpuDemand CPU it uses, in cores (smoothed over the recent history)
 * @param memoryBytes its guest memory: what a host must have free to take it, and what a move copies
 * @param activeMemoryBytes memory it dirties per second or so: what a move copies again
 * @param lastMovedAtMs when it was last moved by anyone (migration or restart), or -1
 * @param hasAddress it has an address of its own, so only hosts that manage VM addresses may run it
 */
public record VmView(String name, String host, double cpuDemand, long memoryBytes, long activeMemoryBytes,
    long lastMovedAtMs, boolean hasAddress) {

  /** A VM without an address of its own. */
  public VmView(String name, String host, double cpuDemand, long memoryBytes, long activeMemoryBytes,
      long lastMovedAtMs) {
    this(name, host, cpuDemand, memoryBytes, activeMemoryBytes, lastMovedAtMs, false);
  }

  public VmView on(String newHost, long movedAtMs) {
    return new VmView(name, newHost, cpuDemand, memoryBytes, activeMemoryBytes, movedAtMs, hasAddress);
  }

  public VmView withDemand(double demand) {
    return new VmView(name, host, demand, memoryBytes, activeMemoryBytes, lastMovedAtMs, hasAddress);
  }

  /** The same VM with or without an address of its own. */
  public VmView withAddress(boolean a) {
    return new VmView(name, host, cpuDemand, memoryBytes, activeMemoryBytes, lastMovedAtMs, a);
  }
}
