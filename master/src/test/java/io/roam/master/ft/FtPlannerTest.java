package io.roam.master.ft;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.master.ft.FtPlanner.Host;
import io.roam.master.ft.FtPlanner.Protect;
import io.roam.master.ft.FtPlanner.VmFt;
import java.util.List;
import org.junit.jupiter.api.Test;

class FtPlannerTest {
  private static final long GIB = 1L << 30;

  private static VmFt vm(String name, boolean on, String primary, String protectedBy, boolean starting) {
    return new VmFt(name, on, true, primary, protectedBy, starting, GIB, "", 20);
  }

  private static Host host(String name, long freeGib) {
    return new Host(name, true, true, freeGib * GIB);
  }

  @Test
  void anUnprotectedVmGetsItsSecondaryOnTheOtherHostWithTheMostMemoryFreeNeverOnItsOwn() {
    List<FtPlanner.Action> plan = FtPlanner.plan(List.of(vm("a", true, "h1", null, false)),
        List.of(host("h1", 64), host("h2", 4), host("h3", 8)));
    assertThat(plan).containsExactly(new Protect("a", "h1", "h3", 20, "FT on: seeding a hot secondary on h3"));
  }

  @Test
  void thePreferredHostIsTakenWhenItHasRoomAndPassedOverWhenItHasNot() {
    VmFt prefersH2 = new VmFt("a", true, true, "h1", null, false, GIB, "h2", 20);
    assertThat(FtPlanner.plan(List.of(prefersH2), List.of(host("h1", 8), host("h2", 2), host("h3", 8))))
        .extracting(a -> ((Protect) a).secondary()).containsExactly("h2");
    assertThat(FtPlanner.plan(List.of(prefersH2), List.of(host("h1", 8), new Host("h2", false, true, 8 * GIB),
        host("h3", 8)))).extracting(a -> ((Protect) a).secondary()).containsExactly("h3");
  }

  @Test
  void secondariesChosenInOnePassCountAgainstEachOthersRoom() {
    List<FtPlanner.Action> plan = FtPlanner.plan(List.of(vm("a", true, "h1", null, false), vm("b", true, "h1", null,
        false)), List.of(host("h1", 8), host("h2", 1), host("h3", 1)));
    assertThat(plan).extracting(a -> ((Protect) a).secondary()).containsExactly("h2", "h3");
  }

  @Test
  void protectedStartingStoppedOrOrphanedVmsAreLeftAlone() {
    VmFt stopped = new VmFt("s", true, false, "h1", null, false, GIB, "", 20);
    VmFt onDeadHost = vm("d", true, "h9", null, false);
    assertThat(FtPlanner.plan(List.of(vm("p", true, "h1", "h2", false), vm("q", true, "h1", null, true), stopped,
        onDeadHost), List.of(host("h1", 8), host("h2", 8)))).isEmpty();
  }

  @Test
  void turningFtOffEndsAProtectionOrOneStartingAndNoRoomIsSaid() {
    assertThat(FtPlanner.plan(List.of(vm("p", false, "h1", "h2", false), vm("q", false, "h1", null, true),
        vm("r", false, "h1", null, false)), List.of(host("h1", 8), host("h2", 8))))
        .containsExactly(new FtPlanner.Unprotect("p", "h1", "FT turned off"),
            new FtPlanner.Unprotect("q", "h1", "FT turned off"));
    assertThat(FtPlanner.plan(List.of(vm("a", true, "h1", null, false)), List.of(host("h1", 8))))
        .hasOnlyElementsOfType(FtPlanner.NoRoom.class).hasSize(1);
  }

  @Test
  void statesAsShown() {
    assertThat(FtPlanner.state(false, null, false)).isEqualTo("not protected");
    assertThat(FtPlanner.state(true, null, true)).isEqualTo("starting");
    assertThat(FtPlanner.state(true, "h2", false)).isEqualTo("protected");
    assertThat(FtPlanner.state(true, null, false)).isEqualTo("needs secondary");
    assertThat(FtPlanner.state(false, "h2", false)).isEqualTo("stopping");
  }

  @Test
  void aSecondaryOnAHostEnteringMaintenanceIsMovedByEndingItsProtection() {
    List<FtPlanner.Action> plan = FtPlanner.plan(List.of(vm("p", true, "h1", "h2", false)),
        List.of(host("h1", 8), new Host("h2", true, false, 8 * GIB), host("h3", 8)));
    assertThat(plan).singleElement().isInstanceOf(FtPlanner.Unprotect.class)
        .extracting(FtPlanner.Action::reason).asString().contains("moving the secondary");
    // Its protection ended: the next pass seeds it on h3, never on h2.
    assertThat(FtPlanner.plan(List.of(vm("p", true, "h1", null, false)), List.of(host("h1", 8),
        new Host("h2", true, false, 8 * GIB), host("h3", 8)))).extracting(a -> ((Protect) a).secondary())
        .containsExactly("h3");
  }
}
