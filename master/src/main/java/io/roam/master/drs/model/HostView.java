package io.roam.master.drs.model;

/**
 * A host as the planners see it.
 *
 * @param cores CPU capacity, in cores
 * @param memoryBytes guest memory the host offers to VMs
 */
public record HostView(String name, double cores, long memoryBytes, HostMode mode) {
  public HostView {
    if (cores <= 0) {
      throw new IllegalArgumentException("host " + name + ": cores must be positive, got " + cores);
    }
  }

  public HostView withMode(HostMode m) {
    return new HostView(name, cores, memoryBytes, m);
  }
}
