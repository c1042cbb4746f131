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

  /** What operators and DPM asked of the host; {@link HostControl#CONNECTED} when nothing. */
  HostControl hostControl(String host) throws Exception;

  void setHostControl(String host, HostControl control) throws Exception;

  Optional<PowerSpec> powerSpec(String host) throws Exception;

  /** Sets (or, with null, removes) the host's power driver. */
  void setPowerSpec(String host, PowerSpec spec) throws Exception;

  /** The leader's last verdict on the host (connected, not-responding, isolated, failed, ...). */
  Optional<String> hostState(String host) throws Exception;

  void setHostState(String host, String state) throws Exception;

  List<RuleRecord> rules() throws Exception;

  void setRules(List<RuleRecord> rules) throws Exception;

  SchedulerOverrides schedulerOverrides() throws Exception;

  void setSchedulerOverrides(SchedulerOverrides overrides) throws Exception;

  /** Returns a new leader epoch, greater than every one returned before, across all masters. */
  long nextEpoch() throws Exception;

  /** A value with the version it was read at, for compare-and-set. */
  record Versioned<T>(T value, int version) {}
}
