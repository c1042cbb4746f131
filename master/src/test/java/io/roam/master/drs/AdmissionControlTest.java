package io.roam.master.drs;

import static io.roam.master.drs.Fixtures.GIB;
import static io.roam.master.drs.Fixtures.host;
import static io.roam.master.drs.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.roam.master.drs.model.HostMode;
import io.roam.master.drs.model.VmView;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** HA admission control: the reserve for host failures, kept for at most all hosts but one. */
class AdmissionControlTest {
  @Test
  void oneHostClusterAdmitsWhatFitsWithoutAReserveForFailover() {
    // The shipped configuration (ha.host-failures 1) on one machine: refusing every start would protect nothing.
    var s = snapshot(0, List.of(host("solo", 4)), List.of(new VmView("web", "solo", 0.1, 8 * GIB, 0, -1)));
    assertThat(AdmissionControl.tolerable(s, 1)).isZero();
    assertThat(AdmissionControl.check(s, 1, GIB, Set.of())).isNull();
  }

  @Test
  void twoHostsKeepTheirReserveEvenWithOneOfThemDown() {
    var up = host("a", 4);
    var down = host("b", 4).withMode(HostMode.DISCONNECTED);
    var s = snapshot(0, List.of(up, down), List.of(new VmView("web", "a", 0.1, 8 * GIB, 0, -1)));
    assertThat(AdmissionControl.tolerable(s, 1)).isEqualTo(1);
    assertThat(AdmissionControl.check(s, 1, GIB, Set.of())).contains("admission control").contains("1 host failure");
  }

  @Test
  void aReserveLargerThanAllHostsButOneIsKeptForAllButOne() {
    // Two hosts and ha.host-failures 2: losing both would leave nothing to restart on; the reserve is
    // kept for one failure, so what one host can hold alone is admitted, and no more.
    var s = snapshot(0, List.of(host("a", 4), host("b", 4)), List.of(new VmView("web", "a", 0.1, 32 * GIB, 0, -1)));
    assertThat(AdmissionControl.tolerable(s, 2)).isEqualTo(1);
    assertThat(AdmissionControl.check(s, 2, 16 * GIB, Set.of())).isNull();
    assertThat(AdmissionControl.check(s, 2, 33 * GIB, Set.of())).contains("with 1 host failure(s) tolerated");
  }

  @Test
  void twoHostsAdmitWhatTheSmallerCanTakeAlone() {
    var s = snapshot(0, List.of(host("a", 4), host("b", 4)), List.of(new VmView("web", "a", 0.1, 32 * GIB, 0, -1)));
    assertThat(AdmissionControl.check(s, 1, 16 * GIB, Set.of())).isNull();
    assertThat(AdmissionControl.check(s, 1, 33 * GIB, Set.of())).contains("need 65 GiB");
  }
}
