package io.roam.common.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.roam.common.Json;
import io.roam.common.config.Config;
import io.roam.common.config.ConfigException;
import io.roam.common.config.RoamKeys;
import io.roam.common.model.HostRecord;
import io.roam.common.model.VmRecord;
import io.roam.common.model.VmSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pool and the rule that gives a VM its address: one fixture per verdict. */
class VmAddressRulesTest {
  private static final AddressPool POOL = AddressPool.parse("10.0.0.0/24, 192.168.50.128/25");

  @Test
  void anAddressInsideThePoolAndFreeIsGivenInCanonicalForm() {
    VmAddressRules.Verdict v = VmAddressRules.check(" 10.0.0.5/24 ", "web", POOL, Map.of("db", "10.0.0.6/24", "x", ""));
    assertThat(v.refused()).isFalse();
    assertThat(v.address().orElseThrow().toString()).isEqualTo("10.0.0.5/24");
    assertThat(v.address().orElseThrow().ip()).isEqualTo("10.0.0.5");
    assertThat(VmAddressRules.check("192.168.50.200/24", "web", POOL, Map.of()).refused()).isFalse();
  }

  @Test
  void anAddressOutsideThePoolIsRefusedNamingThePool() {
    assertThat(VmAddressRules.check("10.0.1.5/24", "web", POOL, Map.of()).refusal())
        .isEqualTo("address 10.0.1.5 is outside the cluster's address pool 10.0.0.0/24,192.168.50.128/25"
            + " (vm.address-pool): choose one inside it");
    assertThat(VmAddressRules.check("192.168.50.127/24", "web", POOL, Map.of()).refusal()).contains("outside");
  }

  @Test
  void anAddressAnotherVmHoldsIsRefusedNamingThatVmWhateverItsPrefix() {
    assertThat(VmAddressRules.check("10.0.0.6/24", "web", POOL, Map.of("db", "10.0.0.6/16")).refusal())
        .isEqualTo("address 10.0.0.6 is already used by VM db: choose another from the pool"
            + " 10.0.0.0/24,192.168.50.128/25");
    // the VM's own record (a retried create) does not count against it
    assertThat(VmAddressRules.check("10.0.0.6/24", "db", POOL, Map.of("db", "10.0.0.6/24")).refused()).isFalse();
  }

  @Test
  void anyAddressIsRefusedWhenTheClusterHasNoPool() {
    assertThat(VmAddressRules.check("10.0.0.5/24", "web", AddressPool.NONE, Map.of()).refusal())
        .isEqualTo("this cluster gives VMs no addresses of their own: set vm.address-pool on the masters"
            + " (e.g. 10.0.0.0/24) to use --ip");
  }

  @Test
  void malformedAddressesAreRefusedInOneLine() {
    assertThat(VmAddressRules.check("10.0.0.5", "web", POOL, Map.of()).refusal())
        .isEqualTo("--ip '10.0.0.5' is not ADDRESS/PREFIX: give the subnet's prefix length too, e.g. 10.0.0.5/24");
    assertThat(VmAddressRules.check("10.0.0.256/24", "web", POOL, Map.of()).refusal()).contains("over 255");
    assertThat(VmAddressRules.check("10.0.0.5/33", "web", POOL, Map.of()).refusal()).contains("1 to 32");
    assertThat(VmAddressRules.check("fd00::5/64", "web", POOL, Map.of()).refusal()).contains("only IPv4");
    assertThat(VmAddressRules.check("a.b.c.d/24", "web", POOL, Map.of()).refusal()).contains("not an IPv4");
    assertThat(VmAddressRules.check("10.0.0.0/24", "web", POOL, Map.of()).refusal()).contains("network or broadcast");
    assertThat(VmAddressRules.check("10.0.0.255/24", "web", POOL, Map.of()).refusal()).contains("network or broadcast");
    assertThat(VmAddressRules.check("10.0.0.255/32", "web", POOL, Map.of()).refused()).isFalse();
  }

  @Test
  void thePoolSettingIsParsedAndCheckedAtStartUp() {
    Config c = Config.load(RoamKeys.MASTER, new String[] {"--vm-address-pool", "10.0.0.0/24,10.9.0.0/16"}, Map.of(), null);
    assertThat(c.get(RoamKeys.VM_ADDRESS_POOL).toString()).isEqualTo("10.0.0.0/24,10.9.0.0/16");
    Config env = Config.load(RoamKeys.MASTER, new String[0], Map.of("ROAM_VM_ADDRESS_POOL", "10.1.0.0/24"), null);
    assertThat(env.get(RoamKeys.VM_ADDRESS_POOL).toString()).isEqualTo("10.1.0.0/24");
    assertThat(Config.load(RoamKeys.MASTER, new String[0], Map.of(), null).get(RoamKeys.VM_ADDRESS_POOL).isEmpty())
        .isTrue();
    assertThatThrownBy(() -> Config.load(RoamKeys.MASTER, new String[] {"--vm-address-pool", "10.0.0.5/24"}, Map.of(),
        null)).isInstanceOf(ConfigException.class).hasMessageContaining("vm.address-pool");
    assertThatThrownBy(() -> AddressPool.parse("10.0.0.5/24")).hasMessage("'10.0.0.5/24' has host bits set: did you"
        + " mean 10.0.0.0/24?");
  }

  @Test
  void specsAndHostRecordsWrittenBeforeAddressesExistedReadWithout() {
    VmRecord old = Json.read("""
        {"spec":{"name":"a","program":"kv","memoryBytes":16777216,"args":{},"programJar":""},"desiredState":"RUNNING"}
        """.getBytes(), VmRecord.class);
    assertThat(old.spec().address()).isEmpty();
    assertThat(old.spec().hasAddress()).isFalse();
    VmSpec withIp = new VmSpec("a", "kv", 16 << 20, Map.of(), "", "10.0.0.5/24");
    assertThat(Json.read(Json.write(new VmRecord(withIp, VmRecord.DesiredState.RUNNING)), VmRecord.class).spec())
        .isEqualTo(withIp);
    HostRecord oldHost = Json.read("""
        {"name":"h","address":"10.0.0.1","port":1,"cores":2,"memoryBytes":1,"datastore":""}
        """.getBytes(), HostRecord.class);
    assertThat(oldHost.vmAddresses()).isFalse();
    HostRecord h = new HostRecord("h", "10.0.0.1", 1, 2, 1, "", true);
    assertThat(Json.read(Json.write(h), HostRecord.class)).isEqualTo(h);
  }
}
