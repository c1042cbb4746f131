package io.roam.master.drs.model;

/**
 * A host as the planners see it.
 *
 * @param cores CPU capacity, in cores
 * @param memoryBytes guest memory the host offers to VMs
 * @param vmAddresses whether its agent can put VM addresses on its interface: a VM with an address of
 *     its own may run only on such a host
 */
public record HostView(String name, double cores, long memoryBytes, HostMode mode, boolean vmAddresses) {
  public HostView {
    if (cores <= 0) {
      throw new IllegalArgumentException("host " + name + ": cores must be positive, got " + cores);
    }
  }

  /** A host that cannot manage VM addresses. */
  public HostView(String name, double cores, long memoryBytes, HostMode mode) {
    this(name, cores, memoryBytes, mode, false);
  }

  public HostView withMode(HostMode m) {
    return new HostView(name, cores, memoryBytes, m, vmAddresses);
  }
}
