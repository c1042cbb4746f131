package io.roam.master.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.model.HostRecord;
import io.roam.common.model.VmRecord;
import io.roam.master.inventory.ZkFixture;
import io.roam.proto.AgentServiceGrpc;
import io.roam.proto.AgentVmRequest;
import io.roam.proto.VmInfo;
import io.roam.proto.VmName;
import io.roam.proto.VmSpec;
import io.roam.proto.VmState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's delete of a VM leaves neither its disk on the shared datastore nor a running copy
 * behind (issue 9 review): a VM whose host is down has its disk deleted by a connected host of the
 * same datastore, or the delete is refused and changes nothing; a VM that is migrating is not
 * deleted; a VM whose owner moved while the delete waited is deleted on its new host too. Real
 * ZooKeeper and leader election; fake agents, one gRPC server per host, that record what they are
 * asked.
 */
class VmDeleteTest {
  @TempDir Path dir;
  private io.roam.master.TestTls tls;

  private io.roam.master.TestTls tls() throws java.io.IOException {
    if (tls == null) {
      tls = new io.roam.master.TestTls(dir.resolve("pki"));
    }
    return tls;
  }
  private ZkFixture f;
  private final List<Server> agentServers = new ArrayList<>();
  private final Map<String, FakeAgent> agents = new ConcurrentHashMap<>();
  private final List<String> destroyCalls = new CopyOnWriteArrayList<>();
  private LeaderApi leader;
  private ClusterGrpcService api;

  @BeforeEach
  void setUp() throws Exception {
    f = new ZkFixture(dir);
    host("h1", "/ds", true);
    host("h2", "/ds", false); // down
    host("h3", "/elsewhere", true); // connected, but another datastore
    host("h4", "/ds", true);
    host("h5", "/lonely", false); // down, and no connected host shares its datastore

    leader = new LeaderApi(f, dir, null);
    api = leader.api;
  }

  @AfterEach
  void tearDown() throws Exception {
    leader.close();
    agentServers.forEach(Server::shutdownNow);
    f.close();
  }

  @Test
  void aVmWhoseHostIsDownHasItsDiskDeletedByAConnectedHostOfTheSameDatastore() throws Exception {
    f.vm("web", "h2", 1 << 20, true);
    Outcome o = delete("web");
    assertThat(o.status()).as(o.message()).isEqualTo(Status.Code.OK);
    // h1 or h4 (they share h2's datastore, h3 does not) deleted the disk; the records are gone.
    assertThat(destroyCalls).hasSize(1).allMatch(c -> c.equals("h1 web") || c.equals("h4 web"));
    assertThat(f.store.vm("web")).isEmpty();
    assertThat(f.store.owner("web")).isEmpty();
  }

  @Test
  void aDeleteThatNoConnectedHostCanCarryOutIsRefusedInOneLineAndChangesNothing() throws Exception {
    f.vm("web", "h5", 1 << 20, true);
    VmRecord before = f.store.vm("web").orElseThrow();
    Outcome o = delete("web");
    assertThat(o.status()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(o.message()).doesNotContain("\n").contains("h5", "/lonely");
    assertThat(destroyCalls).isEmpty();
    assertThat(f.store.vm("web")).contains(before);
    assertThat(f.store.owner("web")).isPresent();
  }

  @Test
  void aVmThatIsMigratingIsNotDeleted() throws Exception {
    f.vm("web", "h1", 1 << 20, true);
    agents.get("h1").migrationId = "m-7";
    VmRecord before = f.store.vm("web").orElseThrow();
    Outcome o = delete("web");
    assertThat(o.status()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(o.message()).doesNotContain("\n").contains("m-7", "cancel");
    assertThat(destroyCalls).isEmpty();
    assertThat(f.store.vm("web")).contains(before);
    assertThat(f.store.owner("web")).isPresent();
  }

  @Test
  void aVmWhoseOwnerMovedWhileItsDeleteWaitedIsDeletedOnItsNewHostToo() throws Exception {
    f.vm("web", "h1", 1 << 20, true);
    // A migration (begun before the delete) commits while the delete waits behind it on h1: the
    // owner record now names h4, and h1 no longer has the VM.
    agents.get("h1").onDestroy = () -> {
      f.moveOwner("web", "h4");
      return false;
    };
    Outcome o = delete("web");
    assertThat(o.status()).as(o.message()).isEqualTo(Status.Code.OK);
    assertThat(destroyCalls).containsExactly("h1 web", "h4 web");
    assertThat(f.store.vm("web")).isEmpty();
    assertThat(f.store.owner("web")).isEmpty();
  }

  private void host(String name, String datastore, boolean live) throws Exception {
    FakeAgent agent = new FakeAgent(name);
    Server server = tls().agentServer(name, agent);
    agentServers.add(server);
    agents.put(name, agent);
    f.zk.create().creatingParentsIfNeeded().forPath(ZkPaths.host(name),
        Json.write(new HostRecord(name, "127.0.0.1", server.getPort(), 4, 1L << 30, datastore)));
    if (live) {
      f.zk.create().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.hostLive(name));
    }
  }

  private record Outcome(Status.Code status, String message) {}

  private Outcome delete(String vm) throws Exception {
    CompletableFuture<Outcome> done = new CompletableFuture<>();
    api.destroyVm(VmName.newBuilder().setName(vm).build(), new StreamObserver<>() {
      @Override
      public void onNext(VmInfo value) {}

      @Override
      public void onError(Throwable t) {
        Status s = Status.fromThrowable(t);
        done.complete(new Outcome(s.getCode(), s.getDescription()));
      }

      @Override
      public void onCompleted() {
        done.complete(new Outcome(Status.Code.OK, ""));
      }
    });
    return done.get(30, TimeUnit.SECONDS);
  }

  /** What a fake agent does when asked to destroy: true when it had the VM. */
  private interface DestroyHook {
    boolean run() throws Exception;
  }

  /** An agent that has every VM its owner record gives it, running; records each destroy. */
  private final class FakeAgent extends AgentServiceGrpc.AgentServiceImplBase {
    private final String name;
    volatile String migrationId = "";
    volatile DestroyHook onDestroy = () -> true;

    FakeAgent(String name) {
      this.name = name;
    }

    @Override
    public void describeVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
      out.onNext(VmInfo.newBuilder().setSpec(VmSpec.newBuilder().setName(req.getName())).setHost(name)
          .setState(VmState.VM_STATE_RUNNING).setMigrationId(migrationId).build());
      out.onCompleted();
    }

    @Override
    public void destroyVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
      destroyCalls.add(name + " " + req.getName());
      try {
        if (onDestroy.run()) {
          out.onNext(VmInfo.newBuilder().setSpec(VmSpec.newBuilder().setName(req.getName())).setHost(name).build());
          out.onCompleted();
        } else {
          out.onError(Status.NOT_FOUND.withDescription("no VM named " + req.getName() + " on host " + name)
              .asRuntimeException());
        }
      } catch (Exception e) {
        out.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
      }
    }
  }
}
