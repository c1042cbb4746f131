package io.roam.agent.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The start-up check of whether an agent can put VM addresses on its host: fixtures of /proc/self/status. */
class AddressCapabilityTest {
  private static final Set<String> IFACES = Set.of("eth0", "lo");

  private static String status(String capEff) {
    return "Name:\tjava\nUmask:\t0022\nState:\tR (running)\nCapInh:\t0000000000000000\nCapPrm:\t" + capEff
        + "\nCapEff:\t" + capEff + "\nCapBnd:\t000001ffffffffff\nSeccomp:\t0\n";
  }

  @Test
  void rootWithTheInterfaceCanManageAddresses() {
    assertThat(AddressCapability.problem("eth0", status("000001ffffffffff"), IFACES::contains)).isEmpty();
    // CAP_NET_ADMIN (bit 12) alone is enough; a container's default set (docker: 00000000a80425fb) lacks it.
    assertThat(AddressCapability.problem("eth0", status("0000000000001000"), IFACES::contains)).isEmpty();
  }

  @Test
  void withoutCapNetAdminItCannotAndSaysHowToGrantIt() {
    assertThat(AddressCapability.problem("eth0", status("00000000a80425fb"), IFACES::contains))
        .hasValueSatisfying(p -> assertThat(p).startsWith("the agent lacks CAP_NET_ADMIN").contains("--cap-add NET_ADMIN"));
    assertThat(AddressCapability.problem("eth0", status("0000000000000000"), IFACES::contains)).isPresent();
  }

  @Test
  void anUnsetOrMissingInterfaceOrUnreadableCapabilitiesMeanItCannot() {
    assertThat(AddressCapability.problem("", status("000001ffffffffff"), IFACES::contains))
        .contains("agent.vm-interface is not set");
    assertThat(AddressCapability.problem("vm0", status("000001ffffffffff"), IFACES::contains))
        .contains("network interface vm0 (agent.vm-interface) does not exist on this host");
    assertThat(AddressCapability.problem("eth0", "Name:\tjava\n", IFACES::contains))
        .hasValueSatisfying(p -> assertThat(p).contains("no CapEff"));
    assertThat(AddressCapability.problem("eth0", status("zz"), IFACES::contains)).isPresent();
  }

  @Test
  void theCheckOfThisProcessReadsItsOwnCapabilitiesAndInterfaces() {
    assertThat(AddressCapability.ofThisProcess("no-such-if0")).isPresent();
    Optional<Long> eff = AddressCapability.effectiveCapabilities(readStatus());
    Assumptions.assumeTrue(eff.isPresent() && (eff.get() >>> AddressCapability.CAP_NET_ADMIN & 1) == 1,
        "this test JVM has no CAP_NET_ADMIN");
    assertThat(AddressCapability.ofThisProcess("lo")).isEmpty();
  }

  private static String readStatus() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/status"));
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
