package io.roam.master.inventory;

import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The cluster inventory that must survive a master failover (DESIGN.md "State"): hosts, VM specs
 * and desired states, VM ownership, and the leader epoch. ZooKeeper in production ({@link
 * CuratorClusterStore}).
 *
 * <p>A store bound to a leader's term ({@link #forTerm}) makes every write conditional on that term
 * still being the newest: a write after another master took an epoch fails with {@link
 * NotLeaderException} and changes nothing (DESIGN.md "Only the leader acts"). Reads are not bound.
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

  /**
   * Overwrites the host's control record whatever it holds: for setting up tests and tools only.
   * The leader changes a host's mode with {@link #updateHostControl}, never with this.
   */
  void setHostControl(String host, HostControl control) throws Exception;

  /**
   * The one way the leader changes a host's control record: reads it with its version, applies
   * {@code change}, and writes the result only if the record is still at that version; on a
   * conflict it reads again and applies {@code change} again (so a change computed on a stale read
   * never undoes another writer's). Returns the transition applied to the record as it was when
   * written, or the refusal or "nothing to do" that {@code change} gave; nothing is written then.
   *
   * @throws IllegalArgumentException when no host of that name is registered
   */
  HostTransition updateHostControl(String host, Function<HostControl, HostTransition> change) throws Exception;

  /** {@link #updateHostControl} with the transition table of {@link HostTransitions}. */
  default HostTransition transitionHost(String host, HostEvent event, long nowMs) throws Exception {
    return updateHostControl(host, c -> HostTransitions.apply(c, event, nowMs));
  }

  /**
   * The name of the host's power driver, as the masters' configuration defines it ({@code
   * power.drivers}); the record holds only the name, never a command, file or address.
   */
  Optional<String> powerDriver(String host) throws Exception;

  /** Selects (or, with null, removes) the host's power driver by its configured name. */
  void setPowerDriver(String host, String driverName) throws Exception;

  /** The leader's last verdict on the host (connected, not-responding, isolated, failed, ...). */
  Optional<String> hostState(String host) throws Exception;

  void setHostState(String host, String state) throws Exception;

  List<RuleRecord> rules() throws Exception;

  void setRules(List<RuleRecord> rules) throws Exception;

  SchedulerOverrides schedulerOverrides() throws Exception;

  void setSchedulerOverrides(SchedulerOverrides overrides) throws Exception;

  /** Returns a new leader epoch, greater than every one returned before, across all masters. */
  long nextEpoch() throws Exception;

  /**
   * This store with every write bound to the term of {@code epoch}: each write is applied only
   * while no master has taken a newer epoch, else it fails with {@link NotLeaderException}.
   *
   * @throws NotLeaderException when {@code epoch} is already not the newest
   */
  ClusterStore forTerm(long epoch) throws Exception;

  /**
   * Fails with {@link NotLeaderException} when this store is bound to a term that has ended (a
   * newer master took an epoch); does nothing on a store not bound to a term. One ZooKeeper round
   * trip that writes nothing: called right before a side effect outside ZooKeeper (powering a host,
   * starting a migration) that no term-bound write precedes.
   */
  void checkTerm() throws Exception;

  // ---- tasks (master/tasks keeps their records; here they are opaque JSON under /roam/tasks) ----

  List<String> taskIds() throws Exception;

  Optional<Versioned<byte[]>> task(String id) throws Exception;

  void createTask(String id, byte[] record) throws Exception;

  /** Writes the task's record only if it is still at {@code expectedVersion}; false when it changed or is gone. */
  boolean compareAndSetTask(String id, int expectedVersion, byte[] record) throws Exception;

  /** Deletes the task if it is still at {@code expectedVersion}; nothing when it changed or is gone. */
  void deleteTask(String id, int expectedVersion) throws Exception;

  /** A value with the version it was read at, for compare-and-set. */
  record Versioned<T>(T value, int version) {}
}
