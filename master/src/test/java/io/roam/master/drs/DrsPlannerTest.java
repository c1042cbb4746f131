package io.roam.master.drs;

import static io.roam.master.drs.Fixtures.GIB;
import static io.roam.master.drs.Fixtures.host;
import static io.roam.master.drs.Fixtures.snapshot;
import static io.roam.master.drs.Fixtures.vm;
import static org.assertj.core.api.Assertions.assertThat;

import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostMode;
import io.roam.master.drs.model.HostView;
import io.roam.master.drs.model.Rule;
import io.roam.master.drs.model.VmView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DrsPlannerTest {
  private static final DrsSettings DEFAULTS = DrsSettings.defaults();
  private static final long PASS_MS = 5 * 60_000;

  private static List<HostView> hosts(int n, double cores) {
    List<HostView> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(host("h" + i, cores));
    }
    return out;
  }

  /** 12 VMs of varied demand, all on h0 of 4 hosts with 4 cores each. */
  private static ClusterSnapshot crowded() {
    double[] demand = {1.6, 1.3, 1.1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35, 0.3, 0.25};
    List<VmView> vms = new ArrayList<>();
    for (int i = 0; i < demand.length; i++) {
      vms.add(vm("vm" + i, "h0", demand[i]));
    }
    return snapshot(0, hosts(4, 4), vms);
  }

  /** Runs passes until one plans nothing; returns the number of moves made. */
  private static int runToRest(ClusterSnapshot start, DrsSettings settings, ClusterSnapshot[] end) {
    ClusterSnapshot s = start;
    int moves = 0;
    for (int pass = 1; pass < 100; pass++) {
      DrsPlan plan = DrsPlanner.plan(s, settings);
      if (plan.moves().isEmpty()) {
        break;
      }
      moves += plan.moves().size();
      s = Fixtures.apply(s, plan, pass * PASS_MS);
    }
    end[0] = s;
    return moves;
  }

  @Test
  void spreadsACrowdedHostWithinTwelveTenthsOfTheFewestMovesPossible() {
    ClusterSnapshot start = crowded();
    ClusterSnapshot[] end = new ClusterSnapshot[1];
    int moves = runToRest(start, DEFAULTS, end);
    double target = DEFAULTS.targetImbalance();
    assertThat(Fixtures.imbalance(end[0])).isLessThanOrEqualTo(target);
    int minimum = MinimalMoves.search(start, target);
    assertThat(minimum).isPositive();
    System.out.printf("crowded host: DRS %d moves, minimum %d, imbalance %.3f (target %.2f)%n", moves, minimum,
        Fixtures.imbalance(end[0]), target);
    assertThat((double) moves).as("DRS moves %d vs minimum %d", moves, minimum).isLessThanOrEqualTo(1.2 * minimum);
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void randomCrowdedClustersOfUnequalHostsAlsoStayWithinTwelveTenths(long seed) {
    java.util.Random r = new java.util.Random(seed);
    double[] cores = {8, 4, 4, 2};
    List<HostView> h = new ArrayList<>();
    for (int i = 0; i < cores.length; i++) {
      h.add(host("h" + i, cores[i]));
    }
    List<VmView> vms = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      vms.add(vm("vm" + i, "h0", 0.1 + r.nextDouble() * 1.4));
    }
    ClusterSnapshot start = snapshot(0, h, vms);
    ClusterSnapshot[] end = new ClusterSnapshot[1];
    int moves = runToRest(start, DEFAULTS, end);
    int minimum = MinimalMoves.search(start, DEFAULTS.targetImbalance());
    System.out.printf("seed %d: DRS %d moves, minimum %d, imbalance %.3f%n", seed, moves, minimum,
        Fixtures.imbalance(end[0]));
    assertThat(Fixtures.imbalance(end[0])).isLessThanOrEqualTo(DEFAULTS.targetImbalance());
    assertThat((double) moves).isLessThanOrEqualTo(1.2 * minimum);
  }

  @Test
  void aBalancedClusterPlansNothing() {
    ClusterSnapshot s = snapshot(0, hosts(3, 4), List.of(vm("a", "h0", 1), vm("b", "h1", 1), vm("c", "h2", 1.1)));
    DrsPlan plan = DrsPlanner.plan(s, DEFAULTS.withThreshold(5));
    assertThat(plan.moves()).isEmpty();
  }

  @Test
  void thresholdOneMakesOnlyMandatoryMoves() {
    ClusterSnapshot crowded = crowded();
    assertThat(DrsPlanner.plan(crowded, DEFAULTS.withThreshold(1)).moves()).isEmpty();
    assertThat(DrsPlanner.plan(crowded, DEFAULTS.withThreshold(2)).moves()).isNotEmpty();
  }

  @Test
  void everyBalancingMoveGivesAReasonAndLowersTheImbalance() {
    DrsPlan plan = DrsPlanner.plan(crowded(), DEFAULTS);
    assertThat(plan.moves()).allSatisfy(m -> {
      assertThat(m.kind()).isEqualTo(Move.Kind.BALANCE);
      assertThat(m.reason()).startsWith("balance: h0 load");
      assertThat(m.automatic()).isTrue();
    });
    assertThat(plan.imbalanceAfter()).isLessThan(plan.imbalanceBefore());
  }

  @Test
  void respectsTheMigrationCapsCountingInFlightMoves() {
    ClusterSnapshot s = crowded();
    DrsPlan plan = DrsPlanner.plan(s, DEFAULTS.withCaps(2, 8));
    assertThat(plan.moves()).hasSize(2); // h0 takes part in every move
    ClusterSnapshot busy = new ClusterSnapshot(0, s.hosts(), s.vms(), List.of(),
        List.of(new ClusterSnapshot.InFlight("vm0", "h0", "h1")));
    DrsPlan next = DrsPlanner.plan(busy, DEFAULTS.withCaps(2, 8));
    assertThat(next.moves()).hasSize(1).noneMatch(m -> m.vm().equals("vm0"));
  }

  @Test
  void aVmMovedRecentlyIsNotMovedAgainToBalance() {
    List<VmView> vms = List.of(new VmView("hot", "h0", 3, GIB, 0, 50_000), vm("cool", "h1", 0.1));
    ClusterSnapshot s = snapshot(60_000, hosts(2, 4), vms);
    assertThat(DrsPlanner.plan(s, DEFAULTS).moves()).isEmpty();
    ClusterSnapshot later = snapshot(60_000 + DEFAULTS.hysteresisMs(), hosts(2, 4),
        List.of(new VmView("hot", "h0", 3, GIB, 0, 50_000), vm("warm", "h0", 1), vm("cool", "h1", 0.1)));
    assertThat(DrsPlanner.plan(later, DEFAULTS).moves()).extracting(Move::vm).containsExactly("warm");
  }

  @Test
  void aMoveWhoseGainDoesNotPayForItsMemoryIsNotMade() {
    // Moving 0.4 cores from a 4-core host to an idle one is worth it for a small VM, not a huge one.
    List<HostView> h = hosts(2, 4);
    DrsSettings s = DEFAULTS.withThreshold(4);
    assertThat(DrsPlanner.plan(snapshot(0, h, List.of(new VmView("small", "h0", 0.4, GIB, 0, -1),
        vm("x", "h0", 0.4))), s).moves()).hasSize(1);
    List<HostView> big = List.of(new HostView("h0", 4, 512 * GIB, HostMode.CONNECTED),
        new HostView("h1", 4, 512 * GIB, HostMode.CONNECTED));
    assertThat(DrsPlanner.plan(snapshot(0, big, List.of(new VmView("huge", "h0", 0.4, 200 * GIB, 0, -1),
        new VmView("huge2", "h0", 0.4, 200 * GIB, 0, -1))), s).moves()).isEmpty();
  }

  @Test
  void manualAndPartialRecommendAndDisabledVmsStay() {
    ClusterSnapshot s = crowded();
    assertThat(DrsPlanner.plan(s, DEFAULTS.withAutomation(Automation.MANUAL)).moves())
        .isNotEmpty().noneMatch(Move::automatic);
    assertThat(DrsPlanner.plan(s, DEFAULTS.withAutomation(Automation.PARTIAL)).moves())
        .isNotEmpty().noneMatch(Move::automatic);
    DrsPlan plan = DrsPlanner.plan(s, DEFAULTS.withVmOverrides(Map.of("vm0", Automation.DISABLED,
        "vm1", Automation.MANUAL)));
    assertThat(plan.moves()).noneMatch(m -> m.vm().equals("vm0"));
    plan.moves().stream().filter(m -> m.vm().equals("vm1")).forEach(m -> assertThat(m.automatic()).isFalse());
  }

  @Test
  void maintenanceEvacuatesEveryVmAndNamesTheRuleThatBlocksOne() {
    List<HostView> h = new ArrayList<>(hosts(3, 4));
    h.set(0, h.get(0).withMode(HostMode.ENTERING_MAINTENANCE));
    ClusterSnapshot s = snapshot(0, h, List.of(vm("a", "h0", 1), vm("b", "h0", 1), vm("pinned", "h0", 1)),
        new Rule.VmHost("licence", Set.of("pinned"), Set.of("h0"), true, true));
    DrsPlan plan = DrsPlanner.plan(s, DEFAULTS.withThreshold(1));
    assertThat(plan.moves()).extracting(Move::vm).containsExactlyInAnyOrder("a", "b");
    assertThat(plan.moves()).allMatch(m -> m.kind() == Move.Kind.EVACUATE && m.automatic() && !m.to().equals("h0"));
    assertThat(plan.blocked()).containsOnlyKeys("pinned");
    assertThat(plan.blocked().get("pinned")).contains("licence").contains("must run on");
  }

  @Test
  void aShouldRuleGivesWayToEvacuationButAMustRuleDoesNot() {
    List<HostView> h = new ArrayList<>(hosts(2, 4));
    h.set(0, h.get(0).withMode(HostMode.ENTERING_MAINTENANCE));
    ClusterSnapshot s = snapshot(0, h, List.of(vm("a", "h0", 1)),
        new Rule.VmHost("prefer-h0", Set.of("a"), Set.of("h0"), true, false));
    assertThat(DrsPlanner.plan(s, DEFAULTS).moves()).extracting(Move::to).containsExactly("h1");
  }

  @Test
  void antiAffineVmsAreSeparatedAndNeverBalancedTogether() {
    Rule apart = new Rule.AntiAffinity("replicas", Set.of("r1", "r2"));
    ClusterSnapshot s = snapshot(0, hosts(3, 4), List.of(vm("r1", "h0", 0.5), vm("r2", "h0", 0.5),
        vm("big", "h1", 3.5)), apart);
    DrsPlan plan = DrsPlanner.plan(s, DEFAULTS.withThreshold(1));
    assertThat(plan.moves()).singleElement().satisfies(m -> {
      assertThat(m.vm()).isEqualTo("r2");
      assertThat(m.kind()).isEqualTo(Move.Kind.RULE);
      assertThat(m.to()).isEqualTo("h2");
      assertThat(m.reason()).contains("replicas");
    });
    // Balancing a cluster where the only light host holds r1 never puts r2 next to it.
    ClusterSnapshot s2 = snapshot(0, hosts(2, 4), List.of(vm("r1", "h1", 0.1), vm("r2", "h0", 2), vm("x", "h0", 1.5)),
        apart);
    assertThat(DrsPlanner.plan(s2, DEFAULTS.withThreshold(5)).moves()).noneMatch(m -> m.vm().equals("r2"));
  }

  @Test
  void affineVmsMoveTogether() {
    ClusterSnapshot s = snapshot(0, hosts(2, 4), List.of(vm("app", "h0", 1.5), vm("db", "h0", 1.5), vm("x", "h0", 0.2)),
        new Rule.Affinity("app-db", Set.of("app", "db")));
    // x stays (DRS disabled for it), so the only way to balance is to move the pair.
    DrsPlan plan = DrsPlanner.plan(s, DEFAULTS.withThreshold(5).withVmOverrides(Map.of("x", Automation.DISABLED)));
    assertThat(plan.moves()).extracting(Move::vm).containsExactlyInAnyOrder("app", "db");
    assertThat(plan.moves()).extracting(Move::to).containsOnly("h1");
  }

  @Test
  void aVmOnAHostItMustNotRunOnIsMoved() {
    ClusterSnapshot s = snapshot(0, hosts(3, 4), List.of(vm("a", "h0", 1)),
        new Rule.VmHost("not-h0-h1", Set.of("a"), Set.of("h0", "h1"), false, true));
    assertThat(DrsPlanner.plan(s, DEFAULTS).moves()).extracting(Move::to).containsExactly("h2");
  }

  @Test
  void memoryRoomIsRespected() {
    List<HostView> h = List.of(new HostView("h0", 4, 8 * GIB, HostMode.CONNECTED),
        new HostView("h1", 4, 2 * GIB, HostMode.CONNECTED));
    ClusterSnapshot s = snapshot(0, h, List.of(new VmView("big", "h0", 2, 4 * GIB, 0, -1),
        new VmView("b2", "h0", 2, 4 * GIB, 0, -1)));
    assertThat(DrsPlanner.plan(s, DEFAULTS.withThreshold(5)).moves()).isEmpty();
  }

  @Test
  void vmsWithAnAddressAreBalancedAndEvacuatedOnlyToHostsThatManageAddresses() {
    // h0 is overloaded; h1 can hold addresses, h2 (emptiest) cannot.
    List<HostView> h = List.of(new HostView("h0", 4, 64 * Fixtures.GIB, HostMode.CONNECTED, true),
        new HostView("h1", 4, 64 * Fixtures.GIB, HostMode.CONNECTED, true), host("h2", 4));
    List<VmView> vms = List.of(vm("a1", "h0", 1.5).withAddress(true), vm("a2", "h0", 1.5).withAddress(true),
        vm("a3", "h0", 1).withAddress(true), vm("x", "h1", 1));
    DrsPlan plan = DrsPlanner.plan(snapshot(0, h, vms), DEFAULTS.withThreshold(5));
    assertThat(plan.moves()).filteredOn(m -> m.vm().startsWith("a")).isNotEmpty().allMatch(m -> m.to().equals("h1"));
    assertThat(plan.moves()).filteredOn(m -> m.to().equals("h2")).extracting(Move::vm).containsOnly("x");

    List<HostView> maintenance = new ArrayList<>(h);
    maintenance.set(0, h.get(0).withMode(HostMode.ENTERING_MAINTENANCE));
    maintenance.set(1, new HostView("h1", 4, 2 * Fixtures.GIB, HostMode.CONNECTED, true)); // room for one more
    DrsPlan evacuation = DrsPlanner.plan(snapshot(0, maintenance, vms), DEFAULTS);
    assertThat(evacuation.moves()).filteredOn(m -> m.kind() == Move.Kind.EVACUATE).singleElement()
        .satisfies(m -> assertThat(m.to()).isEqualTo("h1"));
    assertThat(evacuation.blocked()).hasSize(2);
    assertThat(evacuation.blocked().values()).allMatch(r -> r.contains("h2: ") && r.contains("cannot manage VM addresses"));
  }

  /** Two near-equal busy VMs on one of two hosts: one of them should move, either would do. */
  private static ClusterSnapshot twoNearTwins(double a, double b) {
    return snapshot(0, hosts(2, 1), List.of(vm("busy1", "h0", a), vm("busy2", "h0", b)));
  }

  @Test
  void aRecommendationThePreviousPassMadeStandsWhileItIsNearlyAsGoodAsTheBest() {
    ClusterSnapshot s = twoNearTwins(0.40, 0.42);
    String chosen = DrsPlanner.plan(s, DEFAULTS).moves().get(0).vm();
    String other = chosen.equals("busy1") ? "busy2" : "busy1";

    DrsPlan again = DrsPlanner.plan(s, DEFAULTS, Set.of(DrsPlanner.standing(other, "h0", "h1")));

    assertThat(again.moves()).extracting(Move::vm).containsExactly(other);
    assertThat(again.moves().get(0).to()).isEqualTo("h1");
  }

  @Test
  void aStandingRecommendationFarWorseThanTheBestGivesWay() {
    // Moving the small VM barely helps; moving either big one halves the load.
    ClusterSnapshot s = snapshot(0, hosts(2, 1), List.of(vm("small", "h0", 0.05), vm("big1", "h0", 0.5),
        vm("big2", "h0", 0.5)));

    DrsPlan plan = DrsPlanner.plan(s, DEFAULTS, Set.of(DrsPlanner.standing("small", "h0", "h1")));

    assertThat(plan.moves()).extracting(Move::vm).first().isIn("big1", "big2");
  }

  @Test
  void aStandingRecommendationToAnotherHostDoesNotPinTheVm() {
    ClusterSnapshot s = twoNearTwins(0.40, 0.42);
    String chosen = DrsPlanner.plan(s, DEFAULTS).moves().get(0).vm();

    DrsPlan plan = DrsPlanner.plan(s, DEFAULTS, Set.of(DrsPlanner.standing(chosen, "h0", "h9")));

    assertThat(plan.moves()).extracting(Move::vm).first().isEqualTo(chosen);
  }
}
