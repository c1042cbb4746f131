package io.roam.master.drs;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.master.drs.InitialPlacement.HostLoad;
import java.util.List;
import org.junit.jupiter.api.Test;

class InitialPlacementTest {
  private static final long GIB = 1L << 30;

  @Test
  void picksTheConnectedHostWithTheMostFreeMemory() {
    var d = InitialPlacement.place(List.of(
        new HostLoad("a", true, 8 * GIB, 6 * GIB, 3),
        new HostLoad("b", true, 8 * GIB, 2 * GIB, 1),
        new HostLoad("c", false, 64 * GIB, 0, 0)), GIB);
    assertThat(d.host()).contains("b");
  }

  @Test
  void tiesGoToFewerVmsThenToTheName() {
    var d = InitialPlacement.place(List.of(
        new HostLoad("b", true, 8 * GIB, 2 * GIB, 2),
        new HostLoad("c", true, 8 * GIB, 2 * GIB, 1),
        new HostLoad("a", true, 8 * GIB, 2 * GIB, 1)), GIB);
    assertThat(d.host()).contains("a");
  }

  @Test
  void saysWhyWhenNothingFits() {
    assertThat(InitialPlacement.place(List.of(new HostLoad("a", false, 8 * GIB, 0, 0)), GIB).reason())
        .isEqualTo("no connected hosts");
    var d = InitialPlacement.place(List.of(new HostLoad("a", true, 8 * GIB, 7 * GIB + 1, 1)), GIB);
    assertThat(d.host()).isEmpty();
    assertThat(d.reason()).startsWith("no connected host has " + GIB + " bytes");
  }
}
