package io.roam.agent.fencing;

/**
 * Where a VM's lease ends: at the agent's last successful ZooKeeper contact plus the lease, in
 * {@code Monotonic.millis()} (docs/DESIGN.md "Time"). Pure.
 */
public final class LeaseDeadline {
  private LeaseDeadline() {}

  /**
   * The deadline for a contact sent at {@code contactNanos} ({@code System.nanoTime()}), rounded
   * down to the millisecond: never later than contact + lease, whenever it is computed.
   */
  public static long anchoredAt(long contactNanos, long leaseNanos) {
    return Math.floorDiv(contactNanos + leaseNanos, 1_000_000L);
  }
}
