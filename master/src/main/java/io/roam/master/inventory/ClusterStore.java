package io.roam.master.inventory;

import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import java.util.List;
import java.util.Optional;

/**
 * The cluster inventory that must survive a master failover (DESIGN.md "State"): hosts, VM specs
 * and desired states, VM ownership, and the leader epoch. ZooKeeper in production ({@link
 * CuratorClusterStore}).
 *
 * <p>Thread-safety: implementations are safe for concurrent use; each method is atomic.
 */
public interface ClusterStore {
  List<HostRecord> hosts() throws Exception;

  /** Whether the host's agent holds a live ZooKeeper session. */
  boolean isLive(String host) throws Exception;

  List<String> vmNames() throws Exception;

  Optional<VmRecord> vm(String name) throws Exception;

  /** Creates the VM record and its owner record together; false when the name is taken. */
  boolean createVm(VmRecord record, OwnerRecord owner) throws Exception;

  void updateVm(VmRecord record) throws Exception;

  Optional<Versioned<OwnerRecord>> owner(String vm) throws Exception;

  /**
   * Moves ownership only if the record is still at {@code expectedVersion}: the one way ownership
   * ever changes (DESIGN.md invariant 1). Returns false when someone else changed it first.
   */
  boolean compareAndSetOwner(String vm, int expectedVersion, OwnerRecord next) throws Exception;

  Optional<String> endpoint(String vm) throws Exception;

  /** Deletes the VM and everything under it. */
  void deleteVm(String name) throws Exception;

  /** Returns a new leader epoch, greater than every one returned before, across all masters. */
  long nextEpoch() throws Exception;

  /** A value with the version it was read at, for compare-and-set. */
  record Versioned<T>(T value, int version) {}
}
