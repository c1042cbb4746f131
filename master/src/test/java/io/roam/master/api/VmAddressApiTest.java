package io.roam.master.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.common.model.VmSpec;
import io.roam.common.net.AddressPool;
import io.roam.master.inventory.ZkFixture;
import io.roam.proto.CreateVmRequest;
import io.roam.proto.MigrateVmRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad input of issue 11's VM network identity, on a real leader and ZooKeeper: an address
 * outside the pool, one another VM holds, any address when the cluster has no pool, and a host
 * that cannot manage addresses (chosen by the operator, by placement, or as a migration's
 * destination) are each refused in one line, and nothing changes: no record, no event.
 */
class VmAddressApiTest {
  private static final long MIB = 1L << 20;
  @TempDir Path dir;
  private ZkFixture f;
  private LeaderApi leader;

  private void start(String pool) throws Exception {
    f = new ZkFixture(dir);
    f.host("plain", 4, 1L << 30, null, true, false);
    f.host("able", 4, 1L << 30, null, true, true);
    f.store.createVm(new VmRecord(new VmSpec("db", "kv", 32 * MIB, Map.of(), "", "10.0.0.6/24"),
        VmRecord.DesiredState.STOPPED), new OwnerRecord("able", 1));
    leader = new LeaderApi(f, dir, null, AddressPool.parse(pool));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (leader != null) {
      leader.close();
    }
    if (f != null) {
      f.close();
    }
  }

  @Test
  void withoutAPoolAnyAddressIsRefused() throws Exception {
    start("");
    assertRefusedAndNothingChanged(create("web", "10.0.0.5/24", ""), Status.Code.INVALID_ARGUMENT,
        "cannot create VM web: this cluster gives VMs no addresses of their own: set vm.address-pool on the masters"
            + " (e.g. 10.0.0.0/24) to use --ip");
  }

  @Test
  void anAddressOutsideThePoolOrAlreadyUsedIsRefused() throws Exception {
    start("10.0.0.0/24");
    assertRefusedAndNothingChanged(create("web", "10.0.1.5/24", ""), Status.Code.INVALID_ARGUMENT,
        "cannot create VM web: address 10.0.1.5 is outside the cluster's address pool 10.0.0.0/24"
            + " (vm.address-pool): choose one inside it");
    assertRefusedAndNothingChanged(create("web", "10.0.0.6/24", "able"), Status.Code.INVALID_ARGUMENT,
        "cannot create VM web: address 10.0.0.6 is already used by VM db: choose another from the pool 10.0.0.0/24");
    assertRefusedAndNothingChanged(create("web", "10.0.0.7", ""), Status.Code.INVALID_ARGUMENT,
        "cannot create VM web: --ip '10.0.0.7' is not ADDRESS/PREFIX: give the subnet's prefix length too,"
            + " e.g. 10.0.0.7/24");
  }

  @Test
  void aHostThatCannotManageAddressesIsNeverChosenForAVmWithOne() throws Exception {
    start("10.0.0.0/24");
    assertRefusedAndNothingChanged(create("web", "10.0.0.5/24", "plain"), Status.Code.FAILED_PRECONDITION,
        "VM web has an address of its own and host plain cannot manage VM addresses (its agent needs"
            + " agent.vm-interface and CAP_NET_ADMIN): choose another host");
    f.live("able", false);
    RpcOutcome placed = create("web", "10.0.0.5/24", "");
    assertRefusedAndNothingChanged(placed, Status.Code.RESOURCE_EXHAUSTED, null);
    assertThat(placed.message()).startsWith("cannot place VM web: ").contains("host plain cannot manage VM addresses");
    f.live("able", true);

    // db (with an address, owned by "able") may not be migrated to "plain".
    RpcOutcome migrate = RpcOutcome.<io.roam.proto.MigrationInfo>of(out -> leader.api.migrateVm(MigrateVmRequest.newBuilder().setName("db")
        .setToHost("plain").build(), out));
    assertRefusedAndNothingChanged(migrate, Status.Code.FAILED_PRECONDITION,
        "VM db has an address of its own and host plain cannot manage VM addresses (its agent needs"
            + " agent.vm-interface and CAP_NET_ADMIN): choose another host");
    assertThat(f.store.owner("db").orElseThrow().value()).isEqualTo(new OwnerRecord("able", 1));
  }

  private void assertRefusedAndNothingChanged(RpcOutcome o, Status.Code code, String message) throws Exception {
    assertThat(o.status()).as(o.message()).isEqualTo(code);
    if (message != null) {
      assertThat(o.message()).isEqualTo(message);
    }
    assertThat(o.message()).doesNotContain("\n");
    assertThat(f.store.vmNames()).containsExactly("db");
    assertThat(f.eventKinds()).isEmpty();
  }

  private RpcOutcome create(String name, String ip, String host) throws Exception {
    CreateVmRequest req = CreateVmRequest.newBuilder().setSpec(io.roam.proto.VmSpec.newBuilder().setName(name)
        .setProgram("kv").setMemoryBytes(32 * MIB).setAddress(ip)).setHost(host).build();
    return RpcOutcome.<io.roam.proto.VmInfo>of(out -> leader.api.createVm(req, out));
  }

}
