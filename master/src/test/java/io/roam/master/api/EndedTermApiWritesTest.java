package io.roam.master.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.concurrent.OrderedExecutor;
import io.roam.common.model.HostRecord;
import io.roam.common.model.VmRecord;
import io.roam.master.dpm.DpmSettings;
import io.roam.master.drs.DrsSettings;
import io.roam.master.election.LeaderElection;
import io.roam.master.hosts.HostStatus;
import io.roam.master.hosts.LoadHistory;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.CuratorClusterStore;
import io.roam.master.inventory.RuleRecord;
import io.roam.master.inventory.SchedulerOverrides;
import io.roam.master.inventory.ZkFixture;
import io.roam.master.scheduler.MigrationStarter;
import io.roam.master.scheduler.ResourceScheduler;
import io.roam.master.scheduler.SnapshotReader;
import io.roam.proto.AgentCreateVmRequest;
import io.roam.proto.AgentServiceGrpc;
import io.roam.proto.AgentVmRequest;
import io.roam.proto.CreateVmRequest;
import io.roam.proto.DrsRule;
import io.roam.proto.DrsSettingsRequest;
import io.roam.proto.AgentMigrateRequest;
import io.roam.proto.MigrateVmRequest;
import io.roam.proto.MigrationInfo;
import io.roam.proto.MigrationParams;
import io.roam.proto.VmState;
import io.roam.proto.RuleName;
import io.roam.proto.SetVmPolicyRequest;
import io.roam.proto.VmInfo;
import io.roam.proto.VmName;
import io.roam.proto.VmSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only the leader acts (issue 9, window 9), for the operator's API: a master whose term has ended
 * but that has not yet noticed (its election still says it leads) refuses every write roamctl
 * asks of it with UNAVAILABLE, so roamctl tries the next master, and changes nothing: no record
 * in ZooKeeper, no call to an agent. Real ZooKeeper, a real leader election, a fake agent that
 * records what it is asked.
 */
class EndedTermApiWritesTest {
  @TempDir Path dir;
  private ZkFixture f;
  private CuratorFramework secondMasterZk;
  private Server agentServer;
  private final List<String> agentCalls = new CopyOnWriteArrayList<>();
  private final AtomicReference<ClusterStore> termStore = new AtomicReference<>();
  private final AtomicReference<ResourceScheduler> scheduler = new AtomicReference<>();
  private LeaderElection election;
  private AgentClients agents;
  private ExecutorService ops;
  private ClusterGrpcService api;

  @BeforeEach
  void setUp() throws Exception {
    f = new ZkFixture(dir);
    secondMasterZk = io.roam.master.zk.TestPki.get().client("127.0.0.1:" + f.server.port(), new RetryOneTime(100));
    secondMasterZk.start();
    secondMasterZk.blockUntilConnected(10, TimeUnit.SECONDS);
    io.roam.master.TestTls tls = new io.roam.master.TestTls(dir.resolve("pki"));
    agentServer = tls.agentServer("h1", new RecordingAgent());
    f.zk.create().creatingParentsIfNeeded().forPath(ZkPaths.host("h1"),
        Json.write(new HostRecord("h1", "127.0.0.1", agentServer.getPort(), 4, 1L << 30, "")));
    f.zk.create().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.hostLive("h1"));
    f.zk.create().creatingParentsIfNeeded().forPath(ZkPaths.host("h3"), // a destination for migrations
        Json.write(new HostRecord("h3", "127.0.0.1", agentServer.getPort(), 4, 1L << 30, "")));
    f.zk.create().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.hostLive("h3"));
    f.host("h2", 4, 1L << 30, null, false); // powered off: destroying its VMs only removes records
    f.vm("web", "h1", 1 << 20, true);
    f.vm("parked", "h2", 1 << 20, false);

    LoadHistory load = new LoadHistory(70_000);
    election = new LeaderElection(f.zk, f.store, "m1", "127.0.0.1:1", new LeaderElection.Listener() {
      @Override
      public void establishLeadership(long epoch) throws Exception {
        ClusterStore term = f.store.forTerm(epoch);
        termStore.set(term);
        scheduler.set(new ResourceScheduler(term, new SnapshotReader(term, load, 10_000), load, noMigrations(),
            host -> Optional.empty(), f.events, new ResourceScheduler.Settings(DrsSettings.defaults(),
                DpmSettings.defaults(), 60_000, 30_000), f.clock, f.clock::millis));
      }

      @Override
      public void revokeLeadership() {
        termStore.set(null);
        scheduler.set(null);
      }
    });
    LeaderState leader = new LeaderState() {
      @Override
      public Optional<ResourceScheduler> scheduler() {
        return Optional.ofNullable(scheduler.get());
      }

      @Override
      public Optional<HostStatus> host(String name) {
        return Optional.empty();
      }

      @Override
      public Optional<ClusterStore> store() {
        return Optional.ofNullable(termStore.get());
      }
    };
    agents = tls.agentClients();
    ops = Executors.newFixedThreadPool(2);
    api = new ClusterGrpcService(f.store, agents, election, new OrderedExecutor(ops), f.events, leader, load,
        ClusterGrpcService.Settings.of(MigrationParams.getDefaultInstance(), 1, 60_000));
    election.start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (election.leaderEpoch().isEmpty() && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertThat(election.leaderEpoch()).as("m1 elected").isPresent();
  }

  @AfterEach
  void tearDown() throws Exception {
    election.close();
    ops.shutdownNow();
    agents.close();
    agentServer.shutdownNow();
    secondMasterZk.close();
    f.close();
  }

  @Test
  void aMasterWhoseTermEndedRefusesEveryWriteWithUnavailableAndChangesNothing() throws Exception {
    // While it leads, the same paths write (so the refusals below are the term's doing).
    expect(Status.Code.OK, o -> api.createVm(create("first"), o));
    expect(Status.Code.OK, o -> api.addRule(rule("keep-apart"), o));
    assertThat(f.store.vm("first")).isPresent();
    assertThat(agentCalls).containsExactly("createVm first");

    // A second master is elected; this one has not heard yet and still believes it leads.
    new CuratorClusterStore(secondMasterZk).nextEpoch();
    assertThat(election.leaderEpoch()).isPresent();
    var webBefore = f.store.vm("web").orElseThrow();
    var rulesBefore = f.store.rules();

    expect(Status.Code.UNAVAILABLE, o -> api.createVm(create("second"), o));
    expect(Status.Code.UNAVAILABLE, o -> api.stopVm(VmName.newBuilder().setName("web").build(), o));
    expect(Status.Code.UNAVAILABLE, o -> api.setVmPolicy(SetVmPolicyRequest.newBuilder().setName("web")
        .setRestartPriority("high")
        .build(), o));
    expect(Status.Code.UNAVAILABLE, o -> api.destroyVm(VmName.newBuilder().setName("parked").build(), o));
    expect(Status.Code.UNAVAILABLE, o -> api.destroyVm(VmName.newBuilder().setName("web").build(), o));
    expect(Status.Code.UNAVAILABLE, o -> api.migrateVm(MigrateVmRequest.newBuilder().setName("web").setToHost("h3")
        .build(), o));
    expect(Status.Code.UNAVAILABLE, o -> api.addRule(rule("second-rule"), o));
    expect(Status.Code.UNAVAILABLE, o -> api.removeRule(RuleName.newBuilder().setName("keep-apart").build(), o));
    expect(Status.Code.UNAVAILABLE,
        o -> api.setDrsSettings(DrsSettingsRequest.newBuilder().setThreshold(1).build(), o));

    // Nothing was written and no agent was asked to act.
    assertThat(f.store.vm("second")).isEmpty();
    assertThat(f.store.owner("second")).isEmpty();
    assertThat(f.store.vm("web")).contains(webBefore);
    assertThat(webBefore.desiredState()).isEqualTo(VmRecord.DesiredState.RUNNING);
    assertThat(webBefore.policy().restartPriority()).isEqualTo("medium");
    assertThat(f.store.vm("parked")).isPresent();
    assertThat(f.store.owner("parked")).isPresent();
    assertThat(f.store.rules()).isEqualTo(rulesBefore).extracting(RuleRecord::name).containsExactly("keep-apart");
    assertThat(f.store.schedulerOverrides()).isEqualTo(SchedulerOverrides.NONE);
    assertThat(agentCalls).containsExactly("createVm first");
  }

  private static CreateVmRequest create(String name) {
    return CreateVmRequest.newBuilder().setHost("h1")
        .setSpec(VmSpec.newBuilder().setName(name).setProgram("idle").setMemoryBytes(16L << 20)).build();
  }

  private static DrsRule rule(String name) {
    return DrsRule.newBuilder().setName(name).setType("anti-affinity").addVms("web").addVms("first").build();
  }

  private static MigrationStarter noMigrations() {
    return new MigrationStarter() {
      @Override
      public String start(String vm, String toHost) {
        throw new IllegalStateException("no migrations in this test");
      }

      @Override
      public boolean finished(String migrationId, String sourceHost) {
        return true;
      }
    };
  }

  /** The outcome of one call: its status code (OK when it answered). */
  private record Outcome(Status.Code status, String message) {}

  /** One call of the service; raw so that one observer serves every reply type. */
  @SuppressWarnings("rawtypes")
  private interface Rpc {
    void call(StreamObserver out);
  }

  private static void expect(Status.Code code, Rpc rpc) throws Exception {
    Outcome o = call(rpc);
    assertThat(o.status()).as(o.message()).isEqualTo(code);
  }

  private static Outcome call(Rpc rpc) throws Exception {
    CompletableFuture<Outcome> done = new CompletableFuture<>();
    rpc.call(new StreamObserver<Object>() {
      @Override
      public void onNext(Object value) {}

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

  /** An agent that records each call and does what it is asked. */
  private final class RecordingAgent extends AgentServiceGrpc.AgentServiceImplBase {
    @Override
    public void createVm(AgentCreateVmRequest req, StreamObserver<VmInfo> out) {
      agentCalls.add("createVm " + req.getSpec().getName());
      out.onNext(VmInfo.newBuilder().setSpec(req.getSpec()).setHost("h1").build());
      out.onCompleted();
    }

    @Override
    public void stopVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
      agentCalls.add("stopVm " + req.getName());
      out.onNext(VmInfo.newBuilder().setHost("h1").build());
      out.onCompleted();
    }

    /** A read: not recorded. Every VM is running and not migrating. */
    @Override
    public void describeVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
      out.onNext(VmInfo.newBuilder().setSpec(VmSpec.newBuilder().setName(req.getName())).setHost("h1")
          .setState(VmState.VM_STATE_RUNNING).build());
      out.onCompleted();
    }

    @Override
    public void migrateVm(AgentMigrateRequest req, StreamObserver<MigrationInfo> out) {
      agentCalls.add("migrateVm " + req.getName());
      out.onNext(MigrationInfo.newBuilder().setId("m-1").build());
      out.onCompleted();
    }

    @Override
    public void destroyVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
      agentCalls.add("destroyVm " + req.getName());
      out.onNext(VmInfo.newBuilder().setHost("h1").build());
      out.onCompleted();
    }
  }
}
