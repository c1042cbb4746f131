package io.roam.master.ha;

import static io.roam.master.ha.HaFixture.GIB;
import static io.roam.master.ha.HaFixture.running;
import static io.roam.master.ha.HaFixture.vmIn;
import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.common.model.VmSpec;
import io.roam.master.inventory.ClusterStore.Versioned;
import io.roam.proto.VmState;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The HA decisions, one fixture per case; times are monotonic ms. */
class HaPlannerTest {
  private static final long DELAY = 3_000;
  private static final long HUNG = 10_000;
  private static final long INCOMING = 30_000;
  private static final HaPlanner PLANNER = new HaPlanner(new HaPlanner.Settings(DELAY, 3, HUNG, INCOMING));

  private static List<HaAction> plan(HaFixture f, long now) {
    return PLANNER.plan(f.snapshot(), f.hosts, now);
  }

  // ---- VM monitoring ----
  @Test
  void aVmMissingFromAFreshHeartbeatOfItsOwnerIsCreatedAndStartedThereAtTheOwnerEpoch() {
    HaFixture f = new HaFixture().host("a").vm("v", "a", 7, 4, 100).heartbeat("a", 200);
    assertThat(plan(f, 300)).singleElement().isInstanceOfSatisfying(HaAction.RestartInPlace.class, r -> {
      assertThat(r.host()).isEqualTo("a");
      assertThat(r.ownerEpoch()).isEqualTo(7);
      assertThat(r.ownerVersion()).isEqualTo(4);
      assertThat(r.create()).isTrue();
    });
  }

  @Test
  void aStoppedOrCrashedVmIsStartedInPlaceWithoutBeingCreated() {
    for (VmState st : new VmState[] {VmState.VM_STATE_STOPPED, VmState.VM_STATE_CRASHED}) {
      HaFixture f = new HaFixture().host("a").vm("v", "a").heartbeat("a", 200, vmIn("v", st));
      assertThat(plan(f, 300)).singleElement().isInstanceOfSatisfying(HaAction.RestartInPlace.class,
          r -> assertThat(r.create()).isFalse());
    }
  }

  @Test
  void aCrashedVmWithALiveFtSecondaryFailsOverToItAtTheNextEpochFromTheTaggedRecord() {
    HaFixture f = new HaFixture().host("a").host("b").vm("v", "a", 4, 9, 100).protectedBy("v", "b")
        .heartbeat("a", 200, vmIn("v", VmState.VM_STATE_CRASHED));
    assertThat(plan(f, 300)).singleElement().isInstanceOfSatisfying(HaAction.Promote.class, p -> {
      assertThat(p.fromHost()).isEqualTo("a");
      assertThat(p.toHost()).isEqualTo("b");
      assertThat(p.expectedOwnerVersion()).isEqualTo(9);
      assertThat(p.newEpoch()).isEqualTo(5);
      assertThat(p.ftTag()).isEqualTo(OwnerRecord.ftTag("b", "d1"));
      assertThat(p.reason()).contains("crashed on a under FT");
    });
  }

  @Test
  void aProtectedVmStoppedOrMissingOnItsLiveHostAlsoFailsOverToItsLiveSecondary() {
    // Fencing powered it off (stopped), or its agent restarted and forgot it (missing): the
    // secondary still holds every acknowledged write; a boot in place would start from nothing.
    HaFixture stopped = new HaFixture().host("a").host("b").vm("v", "a").protectedBy("v", "b")
        .heartbeat("a", 200, vmIn("v", VmState.VM_STATE_STOPPED));
    assertThat(plan(stopped, 300)).singleElement().isInstanceOfSatisfying(HaAction.Promote.class,
        p -> assertThat(p.reason()).contains("stopped on a under FT"));
    HaFixture missing = new HaFixture().host("a").host("b").vm("v", "a").protectedBy("v", "b").heartbeat("a", 200);
    assertThat(plan(missing, 300)).singleElement().isInstanceOfSatisfying(HaAction.Promote.class,
        p -> assertThat(p.reason()).contains("missing on a under FT"));
  }

  @Test
  void aCrashedProtectedVmWhoseSecondaryIsDownIsStartedInPlace() {
    HaFixture down = new HaFixture().host("a").down("b", 100).vm("v", "a").protectedBy("v", "b")
        .heartbeat("a", 200, vmIn("v", VmState.VM_STATE_CRASHED));
    assertThat(plan(down, 300)).singleElement().isInstanceOf(HaAction.RestartInPlace.class);
  }

  @Test
  void aRunningProtectedVmOrTheSourceOfAProtectionIsLeftAlone() {
    HaFixture running = new HaFixture().host("a").host("b").vm("v", "a").protectedBy("v", "b")
        .heartbeat("a", 200, vmIn("v", VmState.VM_STATE_RUNNING));
    assertThat(plan(running, 300)).isEmpty();
    HaFixture seeding = new HaFixture().host("a").host("b").vm("v", "a").protectedBy("v", "b")
        .heartbeat("a", 200, vmIn("v", VmState.VM_STATE_STOPPED).toBuilder().setMigrationId("ft-v-1").build());
    assertThat(plan(seeding, 300)).isEmpty();
  }

  @Test
  void crashFailoversToTheSecondaryCountAgainstTheRestartLimit() {
    HaFixture f = new HaFixture().host("a").host("b").vm("v", "a").protectedBy("v", "b")
        .heartbeat("a", 200, vmIn("v", VmState.VM_STATE_CRASHED));
    f.restarts.put("v", List.of(10L, 20L, 30L));
    assertThat(plan(f, 300)).singleElement().isInstanceOf(HaAction.RestartLimited.class);
  }

  @Test
  void aHostDownForTheDelayHandsAProtectedVmToItsLiveSecondaryBeforeAnyPlacement() {
    HaFixture f = new HaFixture().host("b", 0).host("c").down("a", 1_000).vm("v", "a", 4, 9, 0)
        .protectedBy("v", "b");
    assertThat(plan(f, 1_000 + DELAY)).singleElement().isInstanceOfSatisfying(HaAction.Promote.class, p -> {
      assertThat(p.toHost()).as("b holds its memory already; no room is needed").isEqualTo("b");
      assertThat(p.newEpoch()).isEqualTo(5);
    });
    HaFixture secondaryDown = new HaFixture().host("c").down("a", 1_000).down("b", 1_000).vm("v", "a")
        .protectedBy("v", "b");
    assertThat(plan(secondaryDown, 1_000 + DELAY)).singleElement().isInstanceOfSatisfying(HaAction.FailOver.class,
        x -> assertThat(x.toHost()).isEqualTo("c"));
  }

  @Test
  void vmsThatRunOrAreOnTheirWayAreLeftAlone() {
    for (VmState st : new VmState[] {VmState.VM_STATE_RUNNING, VmState.VM_STATE_PAUSED, VmState.VM_STATE_STARTING,
        VmState.VM_STATE_CREATED, VmState.VM_STATE_STOPPING, VmState.VM_STATE_INCOMING}) {
      HaFixture f = new HaFixture().host("a").vm("v", "a").heartbeat("a", 200, vmIn("v", st));
      assertThat(plan(f, 300)).as("%s", st).isEmpty();
    }
  }

  @Test
  void theSourceOfAMigrationIsLeftToTheMigrationEvenWhenStopped() {
    HaFixture f = new HaFixture().host("a").vm("v", "a")
        .heartbeat("a", 200, vmIn("v", VmState.VM_STATE_STOPPED).toBuilder().setMigrationId("m1").build());
    assertThat(plan(f, 300)).isEmpty();
  }

  @Test
  void vmsThatShouldNotRunAreNeverStarted() {
    HaFixture f = new HaFixture().host("a").vm("v", "a").stopped("v").heartbeat("a", 200);
    assertThat(plan(f, 300)).isEmpty();
  }

  @Test
  void noHeartbeatYetMeansNoDecision() {
    HaFixture f = new HaFixture().host("a").vm("v", "a");
    assertThat(plan(f, 300)).isEmpty();
  }

  @Test
  void aHostWhoseHeartbeatStreamIsSilentIsNotJudgedOnItsLastReport() {
    HaFixture f = new HaFixture().silent("a").vm("v", "a").heartbeat("a", 200);
    assertThat(plan(f, 300)).isEmpty();
  }

  @Test
  void aHeartbeatOlderThanHasLastActionOnTheVmIsNotUsed() {
    // HA started v at 250; the heartbeat of 200 still shows it missing: no second create/start.
    HaFixture f = new HaFixture().host("a").vm("v", "a").heartbeat("a", 200);
    f.lastActed.put("v", 250L);
    assertThat(plan(f, 300)).isEmpty();
    f.heartbeat("a", 260);
    assertThat(plan(f, 300)).hasSize(1);
  }

  @Test
  void aVmWithAnHaActionUnderWayIsLeftAlone() {
    HaFixture f = new HaFixture().host("a").vm("v", "a").heartbeat("a", 200);
    f.busy.add("v");
    assertThat(plan(f, 300)).isEmpty();
  }

  @Test
  void theRestartLimitCountsRestartsInPlaceOfTheLastTenMinutes() {
    long now = 1_000_000;
    HaFixture f = new HaFixture().host("a").vm("v", "a").heartbeat("a", now - 10);
    f.restarts.put("v", List.of(now - 700_000, now - 500_000, now - 400_000));
    assertThat(plan(f, now)).singleElement().isInstanceOf(HaAction.RestartInPlace.class);
    f.restarts.put("v", List.of(now - 500_000, now - 400_000, now - 1_000));
    assertThat(plan(f, now)).singleElement().isInstanceOf(HaAction.RestartLimited.class);
  }

  @Test
  void aHostBeingFencedIsNotActedOnEvenIfItsSessionIsBack() {
    // A power-off is under way: a start now would race it (the VM would die with the host).
    HaFixture f = new HaFixture().host("a").vm("v", "a").heartbeat("a", 200);
    f.fences.put("a", FenceState.PENDING);
    assertThat(plan(f, 300)).isEmpty();
    f.fences.put("a", FenceState.FAILED);
    assertThat(plan(f, 300)).hasSize(1);
  }

  // ---- hung VMs ----
  @Test
  void aRunningVmWhoseCounterStaysPutPastTheTimeoutIsPoweredOffAndStarted() {
    HaFixture f = new HaFixture().host("a").vm("v", "a", 3, 2, 0)
        .heartbeat("a", 1_000, running("v", 5)).heartbeat("a", 10_999, running("v", 5));
    assertThat(plan(f, 11_000)).isEmpty();
    f.heartbeat("a", 11_000, running("v", 5));
    assertThat(plan(f, 11_000)).singleElement().isInstanceOfSatisfying(HaAction.PowerOffHung.class, h -> {
      assertThat(h.stuckMs()).isEqualTo(HUNG);
      assertThat(h.ownerEpoch()).isEqualTo(3);
    });
  }

  @Test
  void aMovingCounterIsNotHung() {
    HaFixture f = new HaFixture().host("a").vm("v", "a");
    for (long t = 1_000; t <= 30_000; t += 1_000) {
      f.heartbeat("a", t, running("v", t));
    }
    assertThat(plan(f, 30_000)).isEmpty();
  }

  @Test
  void vmsThatAreNotExpectedToStepAreNeverHung() {
    for (var load : List.of(vmIn("v", VmState.VM_STATE_PAUSED), running("v", 5).toBuilder().setLeaseExpired(true)
        .build(), running("v", 5).toBuilder().setMigrationId("m1").build())) {
      HaFixture f = new HaFixture().host("a").vm("v", "a").heartbeat("a", 1_000, load).heartbeat("a", 60_000, load);
      assertThat(plan(f, 60_000)).isEmpty();
    }
  }

  @Test
  void theStuckTimeCountsOnlyFromHasLastAction() {
    HaFixture f = new HaFixture().host("a").vm("v", "a")
        .heartbeat("a", 1_000, running("v", 5)).heartbeat("a", 20_000, running("v", 5));
    f.lastActed.put("v", 15_000L); // restarted at 15 s: 5 s of evidence since, not 19
    assertThat(plan(f, 20_000)).isEmpty();
  }

  @Test
  void zeroTurnsTheWatchOff() {
    HaPlanner off = new HaPlanner(new HaPlanner.Settings(DELAY, 3, 0, INCOMING));
    HaFixture f = new HaFixture().host("a").vm("v", "a")
        .heartbeat("a", 1_000, running("v", 5)).heartbeat("a", 1_000_000, running("v", 5));
    assertThat(off.plan(f.snapshot(), f.hosts, 1_000_000)).isEmpty();
  }

  // ---- failover ----
  @Test
  void aHostDownForLessThanTheDelayIsFencedAndItsVmsWait() {
    HaFixture f = new HaFixture().host("b").down("a", 1_000).vm("v", "a");
    assertThat(plan(f, 2_000)).singleElement().isInstanceOfSatisfying(HaAction.Fence.class,
        x -> assertThat(x.host()).isEqualTo("a"));
  }

  @Test
  void aHostDownForTheDelayFailsItsVmsOverAtTheNextEpochExpectingTheVersionRead() {
    HaFixture f = new HaFixture().host("b").down("a", 1_000).vm("v", "a", 4, 9, 0);
    assertThat(plan(f, 1_000 + DELAY)).singleElement().isInstanceOfSatisfying(HaAction.FailOver.class, x -> {
      assertThat(x.fromHost()).isEqualTo("a");
      assertThat(x.toHost()).isEqualTo("b");
      assertThat(x.expectedOwnerVersion()).isEqualTo(9);
      assertThat(x.newEpoch()).isEqualTo(5);
    });
  }

  @Test
  void aFencedHostFailsOverBeforeTheDelay() {
    HaFixture f = new HaFixture().host("b").down("a", 1_000).vm("v", "a");
    f.fences.put("a", FenceState.FENCED);
    assertThat(plan(f, 1_100)).singleElement().isInstanceOf(HaAction.FailOver.class);
  }

  @Test
  void aFenceUnderWayFailedOrImpossibleNeverCountsAsFencedTheDelayDecides() {
    for (FenceState st : new FenceState[] {FenceState.PENDING, FenceState.FAILED, FenceState.NO_DRIVER}) {
      HaFixture f = new HaFixture().host("b").down("a", 1_000).vm("v", "a");
      f.fences.put("a", st);
      assertThat(plan(f, 1_000 + DELAY - 1)).as("%s", st).isEmpty();
      assertThat(plan(f, 1_000 + DELAY)).as("%s", st).singleElement().isInstanceOf(HaAction.FailOver.class);
    }
  }

  @Test
  void theDelayIsADifferenceOfMonotonicTimesWhateverTheirOrigin() {
    // Monotonic time has an arbitrary origin (it may be negative); only differences count.
    HaFixture f = new HaFixture().host("b").down("a", -10_000).vm("v", "a");
    f.fences.put("a", FenceState.NO_DRIVER);
    assertThat(plan(f, -10_000 + DELAY - 1)).isEmpty();
    assertThat(plan(f, -10_000 + DELAY)).singleElement().isInstanceOf(HaAction.FailOver.class);
  }

  @Test
  void higherPrioritiesGoFirstAndEachPlacementSeesTheOnesBefore() {
    // b has room for one VM; c for one: "high" gets the emptier b, then "medium" c, "low" waits.
    HaFixture f = new HaFixture().host("b", GIB + GIB / 2).host("c", GIB + GIB / 4).down("a", 0)
        .vm("low", "a").priority("low", "low").vm("mid", "a").vm("top", "a").priority("top", "high");
    List<HaAction> actions = plan(f, DELAY);
    assertThat(actions).extracting(HaAction::vm).containsExactly("top", "mid", "low");
    assertThat(((HaAction.FailOver) actions.get(0)).toHost()).isEqualTo("b");
    assertThat(((HaAction.FailOver) actions.get(1)).toHost()).isEqualTo("c");
    assertThat(actions.get(2)).isInstanceOf(HaAction.WaitNoRoom.class);
  }

  @Test
  void aVmWithRestartPriorityDisabledStaysDown() {
    HaFixture f = new HaFixture().host("b").down("a", 0).vm("v", "a").priority("v", "disabled");
    assertThat(plan(f, DELAY)).singleElement().isInstanceOf(HaAction.RestartDisabled.class);
  }

  @Test
  void allTheVmsOfAFailedHostMoveInOnePass() {
    HaFixture f = new HaFixture().host("b").host("c").down("a", 0);
    for (int i = 0; i < 10; i++) {
      f.vm("v" + i, "a");
    }
    assertThat(plan(f, DELAY)).hasSize(10).allMatch(a -> a instanceof HaAction.FailOver);
  }

  @Test
  void aHostParkedWithNoVmsToRestartIsNotFenced() {
    HaFixture f = new HaFixture().host("b").down("a", 0).vm("v", "a").stopped("v");
    assertThat(plan(f, 1)).isEmpty();
  }

  // ---- issue 9's windows that touch HA, each as the planner sees it ----
  /**
   * Window 1: host a's heartbeat says the VM is missing (its migration to b finished and a
   * removed its copy), but the owner record has since moved to b. Nothing is created or started
   * on a; and b's heartbeat from before the owner change (the VM not yet there) is not used.
   */
  @Test
  void window1AVmMissingWhereItsOldOwnerRecordPointedIsNotBootedThere() {
    HaFixture f = new HaFixture().host("a").host("b")
        .heartbeat("b", 900) // b before the migration committed
        .vm("v", "b", 6, 11, 1_000) // the owner record, moved to b, first read at 1 000
        .heartbeat("a", 1_200); // a after it removed its copy
    assertThat(plan(f, 1_300)).isEmpty();
    f.heartbeat("b", 1_400, running("v", 1)); // b after the change: running, all is well
    assertThat(plan(f, 1_500)).isEmpty();
  }

  /**
   * Window 1, the executor's half: the pass decided on owner {a, epoch 5, version 10}; by the
   * time the action runs on the VM's queue the migration's compare-and-set moved it. The re-read
   * record no longer matches, and the action is dropped.
   */
  @Test
  void window1AnActionDecidedBeforeTheOwnerMovedIsDroppedOnTheQueue() {
    HaAction decided = new HaAction.RestartInPlace("v", "a", 5, 10, true, "missing");
    VmRecord rec = new VmRecord(new VmSpec("v", "cpu", GIB, Map.of(), ""), VmRecord.DesiredState.RUNNING);
    assertThat(HaAction.stillHolds(decided, Optional.of(new Versioned<>(new OwnerRecord("a", 5), 10)),
        Optional.of(rec))).isTrue();
    assertThat(HaAction.stillHolds(decided, Optional.of(new Versioned<>(new OwnerRecord("b", 6), 11)),
        Optional.of(rec))).isFalse();
    assertThat(HaAction.stillHolds(decided, Optional.of(new Versioned<>(new OwnerRecord("a", 5), 10)),
        Optional.of(rec.withDesiredState(VmRecord.DesiredState.STOPPED)))).isFalse();
    assertThat(HaAction.stillHolds(decided, Optional.empty(), Optional.of(rec))).isFalse();
    HaAction failover = new HaAction.FailOver("v", "a", "c", 10, 6, "failed");
    assertThat(HaAction.stillHolds(failover, Optional.of(new Versioned<>(new OwnerRecord("b", 6), 11)),
        Optional.of(rec))).isFalse();
  }

  /**
   * Window 3, master side: host a is being fenced while its VM was migrating to b (b holds the
   * incoming copy). Until the fence is confirmed or the delay passed, nothing moves, and the
   * incoming copy, which the owner record does not name, is not started. Then the VM fails over
   * to a host without a copy (c), though b has more room: b's copy is resolved by ownership.
   */
  @Test
  void window3AHostBeingFencedWithAMigrationInFlight() {
    HaFixture f = new HaFixture().host("b", 64 * GIB).host("c", 8 * GIB).down("a", 1_000).vm("v", "a", 2, 3, 0)
        .heartbeat("a", 900, running("v", 40).toBuilder().setMigrationId("m1").build())
        .heartbeat("b", 1_500, vmIn("v", VmState.VM_STATE_INCOMING));
    f.fences.put("a", FenceState.PENDING);
    assertThat(plan(f, 2_000)).isEmpty();
    f.fences.put("a", FenceState.FENCED);
    assertThat(plan(f, 2_100)).singleElement().isInstanceOfSatisfying(HaAction.FailOver.class, x -> {
      assertThat(x.toHost()).isEqualTo("c");
      assertThat(x.newEpoch()).isEqualTo(3);
    });
  }

  @Test
  void window3WithNoOtherHostTheVmWaitsRatherThanBootOverTheIncomingCopy() {
    HaFixture f = new HaFixture().host("b").down("a", 0).vm("v", "a")
        .heartbeat("b", 1_500, vmIn("v", VmState.VM_STATE_INCOMING));
    assertThat(plan(f, DELAY)).singleElement().isInstanceOf(HaAction.WaitNoRoom.class);
  }

  /**
   * Window 10: the owner record names b (the migration's compare-and-set), but b's copy stays
   * INCOMING: its source died before the FIN. The bound counts from when both held (the owner
   * change was read at 50 s; the copy was incoming since 0), and past it HA starts the VM on b.
   */
  @Test
  void window10AnOwnedDestinationStuckIncomingIsStartedThereAfterTheBound() {
    HaFixture f = new HaFixture().host("b").heartbeat("b", 0, vmIn("v", VmState.VM_STATE_INCOMING))
        .vm("v", "b", 8, 5, 50_000)
        .heartbeat("b", 60_000, vmIn("v", VmState.VM_STATE_INCOMING));
    assertThat(plan(f, 60_000)).isEmpty();
    f.heartbeat("b", 50_000 + INCOMING, vmIn("v", VmState.VM_STATE_INCOMING));
    assertThat(plan(f, 50_000 + INCOMING)).singleElement()
        .isInstanceOfSatisfying(HaAction.StartStuckIncoming.class, s -> {
          assertThat(s.host()).isEqualTo("b");
          assertThat(s.ownerEpoch()).isEqualTo(8);
          assertThat(s.incomingForMs()).isEqualTo(INCOMING);
        });
  }

  @Test
  void window10AnIncomingCopyTheOwnerRecordDoesNotNameIsNeverStarted() {
    HaFixture f = new HaFixture().host("a").host("b").vm("v", "a")
        .heartbeat("a", 100_000, running("v", 1))
        .heartbeat("b", 0, vmIn("v", VmState.VM_STATE_INCOMING))
        .heartbeat("b", 100_000, vmIn("v", VmState.VM_STATE_INCOMING));
    assertThat(plan(f, 100_000)).isEmpty();
  }

  /** Window 8: the failover delay is measured on monotonic time (see the Failover cases). */
  @Test
  void window8TheDelayIgnoresTheWallClock() {
    // The snapshot and host states carry monotonic times only: a wall-clock step cannot reach them.
    HaFixture f = new HaFixture().host("b").down("a", 5_000).vm("v", "a");
    f.fences.put("a", FenceState.NO_DRIVER);
    assertThat(plan(f, 5_000 + DELAY - 1)).isEmpty();
    assertThat(plan(f, 5_000 + DELAY)).hasSize(1);
  }

  // ---- VM addresses ----

  @Test
  void aVmWithAnAddressFailsOverOnlyToAHostThatManagesAddressesAndWaitsWhenNoneHasRoom() {
    // c is emptier, but only b can put the VM's address on its interface; "plain" may go anywhere.
    HaFixture f = new HaFixture().host("b", 4 * GIB).host("c", 64 * GIB).managesAddresses("a").managesAddresses("b")
        .down("a", 0).vm("web", "a").address("web", "10.0.0.5/24").vm("plain", "a");
    List<HaAction> actions = plan(f, DELAY);
    assertThat(actions).filteredOn(a -> a.vm().equals("web")).singleElement()
        .isInstanceOfSatisfying(HaAction.FailOver.class, x -> assertThat(x.toHost()).isEqualTo("b"));
    assertThat(actions).filteredOn(a -> a.vm().equals("plain")).singleElement()
        .isInstanceOfSatisfying(HaAction.FailOver.class, x -> assertThat(x.toHost()).isEqualTo("c"));

    HaFixture none = new HaFixture().host("c").managesAddresses("a").down("a", 0).vm("web", "a")
        .address("web", "10.0.0.5/24");
    assertThat(plan(none, DELAY)).singleElement().isInstanceOfSatisfying(HaAction.WaitNoRoom.class,
        w -> assertThat(w.toString()).contains("cannot manage VM addresses"));
  }
}
