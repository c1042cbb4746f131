package io.roam.agent.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.roam.common.net.VmAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's book of the VM addresses it holds, against a recording fake of ip and arping. */
class VmAddressesTest {
  private static final VmAddress A = VmAddress.parse("10.0.0.5/24");
  private static final VmAddress B = VmAddress.parse("10.0.0.6/24");
  @TempDir Path dir;
  private final RecordingAddressControl.Network net = new RecordingAddressControl.Network();

  private VmAddresses on(RecordingAddressControl control) {
    return new VmAddresses("h1", Optional.empty(), control, dir.resolve("vm-addresses"));
  }

  @Test
  void attachAddsThenAnnouncesAndDetachRemovesKeepingTheLedger() throws Exception {
    VmAddresses a = on(new RecordingAddressControl("h1", net));
    a.attach("web", A);
    assertThat(net.log()).containsExactly("h1 add 10.0.0.5/24", "h1 announce 10.0.0.5/24");
    assertThat(Files.readAllLines(dir.resolve("vm-addresses"))).containsExactly("10.0.0.5/24");
    a.attach("web", A); // a retry: idempotent, still one line
    assertThat(Files.readAllLines(dir.resolve("vm-addresses"))).containsExactly("10.0.0.5/24");
    a.detach("web", A);
    a.detach("web", A); // a second teardown: harmless
    assertThat(net.holder("10.0.0.5")).isNull();
    assertThat(Files.readAllLines(dir.resolve("vm-addresses"))).isEmpty();
  }

  @Test
  void anAgentThatDiedRemovesAtItsNextStartTheAddressesItsVmsLeft() throws Exception {
    RecordingAddressControl control = new RecordingAddressControl("h1", net);
    VmAddresses before = on(control);
    before.attach("web", A);
    before.attach("db", B);
    // kill -9: nothing detaches. The next run of the agent, before any VM runs:
    VmAddresses after = on(control);
    assertThat(after.clearLeftovers()).isEqualTo(2);
    assertThat(net.holder("10.0.0.5")).isNull();
    assertThat(net.holder("10.0.0.6")).isNull();
    assertThat(on(control).clearLeftovers()).isZero();
  }

  @Test
  void aFailedAnnouncementIsNotAFailureButAFailedAddIs() throws Exception {
    RecordingAddressControl control = new RecordingAddressControl("h1", net);
    control.failAnnounce = "arping: command not found";
    VmAddresses a = on(control);
    a.attach("web", A);
    assertThat(net.holder("10.0.0.5")).isEqualTo("h1");

    control.failAdd = "RTNETLINK answers: Operation not permitted";
    assertThatThrownBy(() -> a.attach("db", B)).isInstanceOf(IOException.class).hasMessageContaining("not permitted");
    assertThat(net.holder("10.0.0.6")).isNull();
  }

  @Test
  void aHostThatCannotManageAddressesRefusesThemInOneLineAndAddsNothing() {
    VmAddresses none = VmAddresses.unmanaged("h1", "agent.vm-interface is not set");
    assertThat(none.managed()).isFalse();
    assertThat(none.refusal("web", "10.0.0.5/24")).contains("host h1 cannot run VM web, which has the address"
        + " 10.0.0.5/24 of its own: agent.vm-interface is not set");
    assertThatThrownBy(() -> none.attach("web", A)).isInstanceOf(IOException.class);
    none.detach("web", A);
    assertThat(none.clearLeftovers()).isZero();
    assertThat(net.log()).isEqualTo(List.of());
  }
}
