package io.roam.agent.fencing;

import java.util.Optional;

/**
 * The agent's half of the timing rule in docs/DESIGN.md, "Time": the ZooKeeper session timeout the
 * server actually granted must be at least the VM lease. (The master checks its failover delay
 * against the lease; with both, session timeout + failover delay is at least two leases, more
 * than the 1.5 leases a VM can still run after its agent's last ZooKeeper contact.) Pure.
 */
public final class TimingRule {
  private TimingRule() {}

  /** Why the agent must not start, as one line; empty when the timing is safe. */
  public static Optional<String> checkAgent(long negotiatedSessionTimeoutMs, long leaseMs) {
    if (negotiatedSessionTimeoutMs < leaseMs) {
      return Optional.of("the ZooKeeper session timeout granted by the server is " + negotiatedSessionTimeoutMs
          + " ms, shorter than the VM lease of " + leaseMs + " ms; raise the session timeout (and the server's"
          + " maxSessionTimeout) or shorten the lease");
    }
    return Optional.empty();
  }
}
