package io.roam.master.dpm;

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

class DpmPlannerTest {
  private static final long GIB = 1L << 30;
  private static final long MIN = 60_000;
  private static final DpmSettings S = DpmSettings.defaults().withWindows(5 * MIN, 40 * MIN);

  private static DemandHistory flat(double cores, long now) {
    DemandHistory h = DemandHistory.empty();
    for (long t = now - 45 * MIN; t <= now; t += MIN) {
      h = h.with(t, cores, 60 * MIN);
    }
    return h;
  }

  private static List<HostView> hosts(HostMode... modes) {
    List<HostView> out = new ArrayList<>();
    for (int i = 0; i < modes.length; i++) {
      out.add(new HostView("h" + i, 8, 64 * GIB, modes[i]));
    }
    return out;
  }

  private static VmView vm(String name, String host, long memGib) {
    return new VmView(name, host, 0.5, memGib * GIB, 0, -1);
  }

  private static final long NOW = 100 * MIN;

  @Test
  void lowDemandPowersOffTheHostCheapestToEmpty() {
    ClusterSnapshot s = new ClusterSnapshot(NOW, hosts(HostMode.CONNECTED, HostMode.CONNECTED, HostMode.CONNECTED,
        HostMode.CONNECTED), List.of(vm("a", "h0", 8), vm("b", "h1", 2), vm("c", "h2", 4), vm("d", "h3", 16)),
        List.of(), List.of());
    DpmPlan plan = DpmPlanner.plan(s, flat(4, NOW), S, Set.of());
    assertThat(plan.actions()).singleElement().satisfies(a -> {
      assertThat(a.host()).isEqualTo("h1");
      assertThat(a.kind()).isEqualTo(PowerAction.Kind.POWER_OFF);
      assertThat(a.automatic()).isTrue();
      assertThat(a.reason()).contains("below the band");
    });
  }

  @Test
  void waitsForAFullPowerOffWindowBeforePoweringOff() {
    ClusterSnapshot s = new ClusterSnapshot(NOW, hosts(HostMode.CONNECTED, HostMode.CONNECTED, HostMode.CONNECTED),
        List.of(), List.of(), List.of());
    DemandHistory shortHistory = DemandHistory.empty().with(NOW - 10 * MIN, 1, 60 * MIN).with(NOW, 1, 60 * MIN);
    assertThat(DpmPlanner.plan(s, shortHistory, S, Set.of()).actions()).isEmpty();
    assertThat(DpmPlanner.plan(s, flat(1, NOW), S, Set.of()).actions()).hasSize(1);
  }

  @Test
  void demandInTheBandChangesNothing() {
    ClusterSnapshot s = new ClusterSnapshot(NOW, hosts(HostMode.CONNECTED, HostMode.CONNECTED, HostMode.STANDBY),
        List.of(), List.of(), List.of());
    DpmPlan plan = DpmPlanner.plan(s, flat(10, NOW), S, Set.of()); // 10 / 16 = 63 %
    assertThat(plan.actions()).isEmpty();
  }

  @Test
  void highDemandWakesEnoughStandbyHostsButNotOnesWhoseWakeFailed() {
    ClusterSnapshot s = new ClusterSnapshot(NOW, hosts(HostMode.CONNECTED, HostMode.STANDBY, HostMode.STANDBY,
        HostMode.STANDBY), List.of(), List.of(), List.of());
    DpmPlan plan = DpmPlanner.plan(s, flat(11, NOW), S, Set.of("h1")); // 11 / 8 = 137 %; 11 / 16 = 69 %: two more
    assertThat(plan.actions()).extracting(PowerAction::host).containsExactlyInAnyOrder("h2", "h3");
    assertThat(plan.actions()).allMatch(a -> a.kind() == PowerAction.Kind.POWER_ON && a.reason().contains("above"));
  }

  @Test
  void aHostBeingEmptiedIsKeptOnBeforeAStandbyHostIsWoken() {
    ClusterSnapshot s = new ClusterSnapshot(NOW, hosts(HostMode.CONNECTED, HostMode.ENTERING_STANDBY,
        HostMode.STANDBY), List.of(), List.of(), List.of());
    DpmPlan plan = DpmPlanner.plan(s, flat(7, NOW), S, Set.of());
    assertThat(plan.actions()).extracting(PowerAction::host).startsWith("h1");
    assertThat(plan.actions().get(0).reason()).startsWith("keep on");
  }

  @Test
  void neverPowersOffWhatHaAdmissionControlOrAMustRuleNeeds() {
    // Three 64 GiB hosts, 100 GiB of VMs: losing one more host would leave 64 GiB after a failure.
    ClusterSnapshot s = new ClusterSnapshot(NOW, hosts(HostMode.CONNECTED, HostMode.CONNECTED, HostMode.CONNECTED),
        List.of(vm("a", "h0", 50), vm("b", "h1", 50)), List.of(), List.of());
    DpmPlan plan = DpmPlanner.plan(s, flat(1, NOW), S, Set.of());
    assertThat(plan.actions()).isEmpty();
    assertThat(plan.note()).contains("admission control");
    // Without HA reserve, h2 (empty) could go; a must rule pinning a VM to h2 keeps it.
    ClusterSnapshot pinned = new ClusterSnapshot(NOW, s.hosts(), List.of(vm("a", "h0", 1), vm("b", "h1", 1),
        vm("p", "h2", 1)), List.of(new Rule.VmHost("pin", Set.of("p"), Set.of("h2"), true, true)), List.of());
    DpmPlan p2 = DpmPlanner.plan(pinned, flat(1, NOW), S.withFailuresToTolerate(0), Set.of());
    assertThat(p2.actions()).extracting(PowerAction::host).doesNotContain("h2");
  }

  @Test
  void levelsAndOverrides() {
    ClusterSnapshot s = new ClusterSnapshot(NOW, hosts(HostMode.CONNECTED, HostMode.CONNECTED, HostMode.CONNECTED),
        List.of(vm("a", "h0", 1), vm("b", "h1", 2), vm("c", "h2", 3)), List.of(), List.of());
    assertThat(DpmPlanner.plan(s, flat(1, NOW), S.withLevel(DpmLevel.OFF), Set.of()).actions()).isEmpty();
    assertThat(DpmPlanner.plan(s, flat(1, NOW), S.withLevel(DpmLevel.MANUAL), Set.of()).actions())
        .singleElement().matches(a -> !a.automatic());
    // h0 is cheapest but kept on by its override; h1 goes instead.
    DpmPlan plan = DpmPlanner.plan(s, flat(1, NOW), S.withHostOverrides(Map.of("h0", DpmLevel.OFF)), Set.of());
    assertThat(plan.actions()).extracting(PowerAction::host).containsExactly("h1");
  }

  @Test
  void demandEstimateIsMeanPlusTwoSigmaOverTheWindow() {
    DemandHistory h = DemandHistory.empty().with(0, 2, 1000).with(10, 4, 1000).with(20, 6, 1000);
    // mean 4, population σ = sqrt(8/3)
    assertThat(h.estimate(20, 100)).isCloseTo(4 + 2 * Math.sqrt(8.0 / 3), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(h.estimate(20, 5)).isEqualTo(6);
    assertThat(h.with(2000, 1, 1000).spanMs(2000)).isZero(); // old samples dropped
  }
}
