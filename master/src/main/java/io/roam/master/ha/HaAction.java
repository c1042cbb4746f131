package io.roam.master.ha;

import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.master.inventory.ClusterStore.Versioned;
import java.util.Optional;

/**
 * What the HA planner decides, each with the reason it is given in the event log. The executor
 * ({@link HaMonitor}) carries each VM action out on the VM's queue after re-reading the owner
 * record ({@link #stillHolds}): a decision taken on a snapshot is never acted on after the VM moved.
 */
public sealed interface HaAction {
  String reason();

  /** A VM action's VM, or null for a host action. */
  String vm();

  /**
   * Start the VM again on the host its owner record names (creating it there first if the host
   * does not hold it), at the owner epoch read.
   */
  record RestartInPlace(String vm, String host, long ownerEpoch, int ownerVersion, boolean create, String reason)
      implements InPlace {}

  /** A running VM whose step counter is stuck: power it off and start it again in place. */
  record PowerOffHung(String vm, String host, long ownerEpoch, int ownerVersion, long stuckMs, String reason)
      implements InPlace {}

  /**
   * A migration's destination that the owner record names but that stayed INCOMING too long (its
   * source died before it finished): power the waiting copy off and boot the VM fresh there.
   */
  record StartStuckIncoming(String vm, String host, long ownerEpoch, int ownerVersion, long incomingForMs,
      String reason) implements InPlace {}

  /**
   * Move the VM off a failed host: compare-and-set its owner record from {@code expectedOwnerVersion}
   * to {toHost, newEpoch}, then boot it there.
   */
  record FailOver(String vm, String fromHost, String toHost, int expectedOwnerVersion, long newEpoch, String reason)
      implements HaAction {}

  /**
   * FT failover: the owner record, still carrying the protection's tag {@code ftTag}, moves to the
   * VM's hot secondary on {@code toHost} at {@code newEpoch}, and the secondary resumes from its
   * last whole checkpoint (memory kept, nothing rebooted).
   */
  record Promote(String vm, String fromHost, String toHost, int expectedOwnerVersion, long newEpoch, String ftTag,
      String reason) implements HaAction {}

  /** Power the failed host off so that its VMs can restart before the failover delay. */
  record Fence(String host, String reason) implements HaAction {
    @Override
    public String vm() {
      return null;
    }
  }

  /** The VM's host failed but no host can take it now; retried every pass. */
  record WaitNoRoom(String vm, String host, String reason) implements HaAction {}

  /** The VM's host failed and its restart priority is disabled: HA leaves it down. */
  record RestartDisabled(String vm, String host, String reason) implements HaAction {}

  /** The VM needs a restart in place but reached the restart limit of the window. */
  record RestartLimited(String vm, String host, String reason) implements HaAction {}

  /** An action on the VM where its owner record names it, at the owner version and epoch read. */
  sealed interface InPlace extends HaAction permits RestartInPlace, PowerOffHung, StartStuckIncoming {
    String host();

    long ownerEpoch();

    int ownerVersion();
  }

  /**
   * Whether a VM action decided on a snapshot still applies to the records read again on the VM's
   * queue just before acting: the VM should still run, and its owner record must be the very
   * version the decision read (for a failover the compare-and-set checks that again).
   */
  static boolean stillHolds(HaAction a, Optional<Versioned<OwnerRecord>> owner, Optional<VmRecord> vm) {
    if (owner.isEmpty() || vm.isEmpty() || vm.get().desiredState() != VmRecord.DesiredState.RUNNING) {
      return false;
    }
    int version = owner.get().version();
    OwnerRecord o = owner.get().value();
    if (a instanceof InPlace p) {
      return version == p.ownerVersion() && o.host().equals(p.host()) && o.epoch() == p.ownerEpoch();
    }
    if (a instanceof FailOver f) {
      return version == f.expectedOwnerVersion() && o.host().equals(f.fromHost());
    }
    if (a instanceof Promote p) {
      return version == p.expectedOwnerVersion() && o.host().equals(p.fromHost()) && o.migration().equals(p.ftTag());
    }
    return false;
  }
}
