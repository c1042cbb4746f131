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
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacementTest {
  private static final List<HostView> THREE = List.of(host("a", 4), host("b", 4), host("c", 4));

  @Test
  void aNewVmGoesWhereItKeepsTheImbalanceLowest() {
    ClusterSnapshot s = snapshot(0, THREE, List.of(vm("x", "a", 2), vm("y", "b", 1), vm("new", "", 1)));
    assertThat(Placement.of(s).place("new", false).host()).contains("c");
  }

  @Test
  void successivePlacementsSeeEachOther() {
    ClusterSnapshot s = snapshot(0, THREE, List.of(vm("n1", "", 1), vm("n2", "", 1), vm("n3", "", 1)));
    Placement p = Placement.of(s);
    List<String> hosts = List.of(p.place("n1", false), p.place("n2", false), p.place("n3", false)).stream()
        .map(d -> d.host().orElseThrow()).toList();
    assertThat(hosts).containsExactlyInAnyOrder("a", "b", "c");
  }

  @Test
  void hostsThatTakeNoVmsAndHostsWithoutRoomAreSkipped() {
    List<HostView> h = List.of(host("a", 4).withMode(HostMode.MAINTENANCE),
        new HostView("b", 4, GIB, HostMode.CONNECTED), host("c", 4).withMode(HostMode.STANDBY));
    var d = Placement.of(snapshot(0, h, List.of(new VmView("new", "", 0.1, 2 * GIB, 0, -1)))).place("new", false);
    assertThat(d.host()).isEmpty();
    assertThat(d.reason()).contains("no connected host has " + 2 * GIB);
  }

  @Test
  void rulesBindPlacementAndHaMayBreakOnlyAPreference() {
    Rule must = new Rule.VmHost("gpu", Set.of("new"), Set.of("c"), true, true);
    ClusterSnapshot s = snapshot(0, THREE, List.of(vm("busy", "c", 3.5), vm("new", "", 1)), must);
    assertThat(Placement.of(s).place("new", false).host()).contains("c");

    Rule apart = new Rule.AntiAffinity("replicas", Set.of("r1", "r2", "r3"));
    ClusterSnapshot s2 = snapshot(0, List.of(host("a", 4), host("b", 4)),
        List.of(vm("r1", "a", 0.1), vm("r2", "b", 0.1), vm("r3", "", 0.1)), apart);
    var d = Placement.of(s2).place("r3", true);
    assertThat(d.host()).isEmpty();
    assertThat(d.reason()).contains("replicas");

    // HA restart of a VM that should run on a failed host: a preference, so it goes elsewhere.
    List<HostView> h = List.of(host("a", 4).withMode(HostMode.DISCONNECTED), host("b", 4));
    Rule prefer = new Rule.VmHost("prefer-a", Set.of("v"), Set.of("a"), true, false);
    ClusterSnapshot s3 = snapshot(0, h, List.of(vm("v", "a", 1)), prefer);
    assertThat(Placement.of(s3).place("v", false).host()).isEmpty();
    var ha = Placement.of(s3).place("v", true);
    assertThat(ha.host()).contains("b");
    assertThat(ha.reason()).contains("breaks a preference");
  }

  @Test
  void affinityPlacesANewVmWithItsGroup() {
    ClusterSnapshot s = snapshot(0, THREE, List.of(vm("app", "b", 3), vm("db", "", 0.5)),
        new Rule.Affinity("app-db", Set.of("app", "db")));
    assertThat(Placement.of(s).place("db", false).host()).contains("b");
  }

  @Test
  void admissionControlKeepsRoomForTheLargestHostsFailing() {
    List<HostView> h = List.of(new HostView("a", 4, 8 * GIB, HostMode.CONNECTED),
        new HostView("b", 4, 8 * GIB, HostMode.CONNECTED), new HostView("c", 4, 4 * GIB, HostMode.CONNECTED));
    ClusterSnapshot s = snapshot(0, h, List.of(new VmView("v1", "a", 1, 6 * GIB, 0, -1),
        new VmView("v2", "b", 1, 5 * GIB, 0, -1)));
    // After losing one 8 GiB host, 12 GiB is left: 11 GiB running + 1 fits, + 2 does not.
    assertThat(AdmissionControl.check(s, 1, GIB, Set.of())).isNull();
    assertThat(AdmissionControl.check(s, 1, 2 * GIB, Set.of())).contains("admission control").contains("1 host failure")
        .contains("13 GiB").contains("12 GiB");
    assertThat(AdmissionControl.check(s, 0, 100 * GIB, Set.of())).isNull();
    // Powering c off leaves 8 GiB after a failure: not enough for 11 GiB.
    assertThat(AdmissionControl.check(s, 1, 0, Set.of("c"))).isNotNull();
  }

  @Test
  void aVmWithAnAddressIsPlacedOnlyWhereTheAgentManagesAddressesEvenAgainstBalance() {
    List<HostView> h = List.of(new HostView("a", 4, 64 * GIB, HostMode.CONNECTED, true), host("b", 4), host("c", 4));
    ClusterSnapshot s = snapshot(0, h, List.of(vm("busy", "a", 3), vm("new", "", 1).withAddress(true),
        vm("plain", "", 1)));
    Placement p = Placement.of(s);
    assertThat(p.place("new", false).host()).contains("a");
    assertThat(p.place("plain", false).host()).isNotEqualTo(java.util.Optional.of("a"));

    ClusterSnapshot none = snapshot(0, List.of(host("b", 4), host("c", 4)), List.of(vm("new", "", 1).withAddress(true)));
    var d = Placement.of(none).place("new", true); // HA may break preferences, never this
    assertThat(d.host()).isEmpty();
    assertThat(d.reason()).contains("new has an address of its own and host b cannot manage VM addresses");
  }
}
