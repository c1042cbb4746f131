package io.roam.agent.migration;

import java.util.Optional;

/**
 * The VM ownership record ({host, epoch} at /roam/vms/&lt;vm&gt;/owner) as migration needs it. It
 * changes only by compare-and-set on its version (DESIGN.md invariant 1).
 */
public interface Ownership {
  record Owner(String host, long epoch, int version) {}

  Optional<Owner> read(String vm) throws Exception;

  /** Writes {host, epoch} if the record is still at {@code expectedVersion}; false otherwise. */
  boolean compareAndSet(String vm, int expectedVersion, String host, long epoch) throws Exception;
}
