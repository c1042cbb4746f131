package io.roam.agent.migration;

import static io.roam.agent.migration.OwnershipDecisions.Incoming.COMMIT;
import static io.roam.agent.migration.OwnershipDecisions.Incoming.DISCARD;
import static io.roam.agent.migration.OwnershipDecisions.Incoming.FENCE_SOURCE;
import static io.roam.agent.migration.OwnershipDecisions.Switchover.MOVED;
import static io.roam.agent.migration.OwnershipDecisions.Switchover.NOT_MOVED;
import static org.assertj.core.api.Assertions.assertThat;

import io.roam.agent.migration.Ownership.Owner;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The ownership rules as pure functions: every record a reader can meet, and what it decides. */
class OwnershipDecisionsTest {
  @Test
  void aSwitchoverMovedExactlyWhenTheRecordNamesTheDestinationAtTheNewEpochWithThisMigrationsTag() {
    assertThat(OwnershipDecisions.afterCompareAndSet(Optional.of(new Owner("dst", 2, 1, "t")), "dst", 2, "t"))
        .isEqualTo(MOVED);
    assertThat(OwnershipDecisions.afterCompareAndSet(Optional.of(new Owner("dst", 2, 1)), "dst", 2, "t"))
        .as("the same host and epoch written by HA, not by this migration").isEqualTo(NOT_MOVED);
    assertThat(OwnershipDecisions.afterCompareAndSet(Optional.of(new Owner("src", 1, 0)), "dst", 2, "t")).isEqualTo(NOT_MOVED);
    assertThat(OwnershipDecisions.afterCompareAndSet(Optional.of(new Owner("src", 1, 1)), "dst", 2, "t"))
        .as("fenced by the destination").isEqualTo(NOT_MOVED);
    assertThat(OwnershipDecisions.afterCompareAndSet(Optional.of(new Owner("dst", 3, 2, "t")), "dst", 2, "t"))
        .as("moved on again since: not our write").isEqualTo(NOT_MOVED);
    assertThat(OwnershipDecisions.afterCompareAndSet(Optional.of(new Owner("other", 2, 1, "t")), "dst", 2, "t"))
        .isEqualTo(NOT_MOVED);
    assertThat(OwnershipDecisions.afterCompareAndSet(Optional.empty(), "dst", 2, "t")).isEqualTo(NOT_MOVED);
  }

  @Test
  void anIncomingVmIsCommittedFencedOrDiscardedByTheRecordAlone() {
    // The source verified with the record at version 0 (src at epoch 1); the session's epoch is 2.
    assertThat(OwnershipDecisions.resolveIncoming(Optional.of(new Owner("dst", 2, 1, "t")), "dst", 2, 0, "t"))
        .isEqualTo(COMMIT);
    assertThat(OwnershipDecisions.resolveIncoming(Optional.of(new Owner("dst", 2, 1)), "dst", 2, 0, "t"))
        .as("HA failed it over to this host at the same epoch: the memory here is older").isEqualTo(DISCARD);
    assertThat(OwnershipDecisions.resolveIncoming(Optional.of(new Owner("src", 1, 0)), "dst", 2, 0, "t"))
        .isEqualTo(FENCE_SOURCE);
    assertThat(OwnershipDecisions.resolveIncoming(Optional.of(new Owner("src", 1, 1)), "dst", 2, 0, "t"))
        .as("after our fencing write").isEqualTo(DISCARD);
    assertThat(OwnershipDecisions.resolveIncoming(Optional.of(new Owner("other", 2, 1)), "dst", 2, 0, "t"))
        .as("HA moved it elsewhere").isEqualTo(DISCARD);
    assertThat(OwnershipDecisions.resolveIncoming(Optional.of(new Owner("dst", 3, 2, "t")), "dst", 2, 0, "t"))
        .as("ours, but at a later epoch: another incarnation").isEqualTo(DISCARD);
    assertThat(OwnershipDecisions.resolveIncoming(Optional.empty(), "dst", 2, 0, "t")).as("destroyed").isEqualTo(DISCARD);
  }

  @Test
  void aHostMayRunAVmOnlyAtTheEpochItsRecordNames() {
    Optional<Owner> here3 = Optional.of(new Owner("here", 3, 5));
    assertThat(OwnershipDecisions.refusalToRun("start", "vm", here3, "here", 3)).isEmpty();
    assertThat(OwnershipDecisions.refusalToRun("start", "vm", here3, "here", 2)).contains(
        "host here will not start VM vm at owner epoch 2: its owner record names host here at epoch 3");
    assertThat(OwnershipDecisions.refusalToRun("resume", "vm", here3, "there", 3)).contains(
        "host there will not resume VM vm at owner epoch 3: its owner record names host here at epoch 3");
    assertThat(OwnershipDecisions.refusalToRun("start", "vm", here3, "here", 0)).contains(
        "host here will not start VM vm: the request carries no owner epoch");
    assertThat(OwnershipDecisions.refusalToRun("start", "vm", Optional.empty(), "here", 3)).contains(
        "host here will not start VM vm: it has no owner record");
  }
}
