package io.roam.master.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.concurrent.OrderedExecutor;
import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.master.api.AgentClients;
import io.roam.master.hosts.HeartbeatReports;
import io.roam.master.hosts.HostState;
import io.roam.master.hosts.HostStatus;
import io.roam.master.inventory.HostControl;
import io.roam.master.inventory.ZkFixture;
import io.roam.master.scheduler.SnapshotReader;
import io.roam.proto.AgentCreateVmRequest;
import io.roam.proto.AgentServiceGrpc;
import io.roam.proto.AgentVmRequest;
import io.roam.proto.HostHeartbeat;
import io.roam.proto.VmInfo;
import io.roam.proto.VmLoad;
import io.roam.proto.VmState;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HA executor against a real ZooKeeper and a fake agent: actions go through the per-VM queue
 * (run by hand here, so that the test can move the VM between the decision and the action), the
 * owner record is read again there, and every start carries the owner epoch read.
 */
class HaMonitorTest {
  private static final long GIB = 1L << 30;

  @TempDir Path dir;
  private ZkFixture f;
  private Server agent;
  private AgentClients clients;
  private HaMonitor ha;
  private final List<String> calls = new CopyOnWriteArrayList<>(); // "host op vm owner-epoch"
  private final Deque<Runnable> queue = new ArrayDeque<>(); // the master's ops pool, run by hand
  private final AtomicLong now = new AtomicLong(1_000);
  private final HeartbeatReports reports = new HeartbeatReports();
  private final Map<String, HostStatus> hosts = new LinkedHashMap<>();

  @BeforeEach
  void setUp() throws Exception {
    f = new ZkFixture(dir.resolve("zk"));
    io.roam.master.TestTls tls = new io.roam.master.TestTls(dir.resolve("pki"));
    agent = tls.agentServer("agent", new FakeAgent());
    clients = tls.agentClients();
    host("a", true);
    host("b", true);
    ha = new HaMonitor(f.store, clients, f.events, new SnapshotReader(f.store, null, 60_000), reports,
        h -> Optional.empty(), new OrderedExecutor(queue::add), 1, new HaPlanner.Settings(3_000, 3, 30_000, 30_000),
        f.clock, now::get);
  }

  @AfterEach
  void tearDown() throws Exception {
    ha.close();
    clients.close();
    agent.shutdownNow();
    f.close();
  }

  /** The fake agent on every host: each host record points at it with its name in the address. */
  /** VMs the fake agent reports running when asked (DescribeVm); any other is NOT_FOUND. */
  private final java.util.Set<String> running = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile boolean frozen;
  /** An agent whose port refuses (restarting): every call fails at once with UNAVAILABLE. */
  private volatile boolean unavailable;

  private final class FakeAgent extends AgentServiceGrpc.AgentServiceImplBase {
    @Override
    public void describeVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
      if (frozen) {
        return; // a SIGSTOPped agent: the call only ends at its deadline
      }
      if (unavailable) {
        out.onError(io.grpc.Status.UNAVAILABLE.withDescription("connection refused").asRuntimeException());
        return;
      }
      if (running.contains(req.getName())) {
        out.onNext(VmInfo.newBuilder().setState(io.roam.proto.VmState.VM_STATE_RUNNING).build());
        out.onCompleted();
      } else {
        out.onError(io.grpc.Status.NOT_FOUND.withDescription("no VM named " + req.getName()).asRuntimeException());
      }
    }

    @Override
    public void createVm(AgentCreateVmRequest req, StreamObserver<VmInfo> out) {
      calls.add("create " + req.getSpec().getName() + " " + req.getOwnerEpoch());
      out.onNext(VmInfo.getDefaultInstance());
      out.onCompleted();
    }

    @Override
    public void promoteSecondary(AgentVmRequest req, StreamObserver<VmInfo> out) {
      calls.add("promote " + req.getName() + " " + req.getOwnerEpoch());
      out.onNext(VmInfo.getDefaultInstance());
      out.onCompleted();
    }

    @Override
    public void startVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
      calls.add("start " + req.getName() + " " + req.getOwnerEpoch());
      out.onNext(VmInfo.getDefaultInstance());
      out.onCompleted();
    }
  }

  private void host(String name, boolean live) throws Exception {
    HostRecord r = new HostRecord(name, "127.0.0.1", agent.getPort(), 8, 64 * GIB, "");
    f.zk.create().orSetData().creatingParentsIfNeeded().forPath(ZkPaths.host(name), Json.write(r));
    f.live(name, live);
    hosts.put(name, new HostStatus(r, HostControl.CONNECTED, live ? HostState.CONNECTED : HostState.NOT_RESPONDING,
        live, live ? -1 : now.get(), ""));
  }

  private void heartbeat(String host, VmLoad... vms) {
    reports.record(HostHeartbeat.newBuilder().setHost(host).addAllVms(List.of(vms)).build(), now.get());
  }

  private void tick(long at) throws Exception {
    now.set(at);
    ha.tick(hosts);
  }

  private void runQueue() {
    while (!queue.isEmpty()) {
      queue.poll().run();
    }
  }

  /** The owner record of {@code vm} as its primary's agent tags it once its secondary on {@code secondary} is seeded. */
  private void protect(String vm, String secondary) throws Exception {
    var o = f.store.owner(vm).orElseThrow();
    f.store.compareAndSetOwner(vm, o.version(), new OwnerRecord(o.value().host(), o.value().epoch(),
        OwnerRecord.ftTag(secondary, "d1")));
  }

  /**
   * VM v on host a, protected by a secondary on b, reported crashed by a fresh heartbeat, and a
   * pass that decided on it (its action waits on the queue).
   */
  private void crashedUnderFtAndDecided() throws Exception {
    f.vm("v", "a", GIB, true);
    protect("v", "b");
    tick(1_000);
    now.set(1_500);
    heartbeat("a", HaFixture.vmIn("v", io.roam.proto.VmState.VM_STATE_CRASHED));
    tick(2_000);
  }

  @Test
  void aProtectedVmThatCrashedOnALiveHostFailsOverToItsSecondaryByCompareAndSet() throws Exception {
    crashedUnderFtAndDecided();
    runQueue();
    assertThat(calls).containsExactly("promote v 2");
    OwnerRecord after = f.store.owner("v").orElseThrow().value();
    assertThat(after.host()).isEqualTo("b");
    assertThat(after.epoch()).isEqualTo(2);
    assertThat(after.migration()).isEqualTo(OwnerRecord.ftTag("b", "d1")); // the tag the secondary resumes under
    assertThat(f.eventKinds()).contains("vm.ft-failover v");
  }

  @Test
  void noFailoverToTheSecondaryWhenTheCrashedPrimaryHasAProcessAgainByTheTimeTheActionRuns() throws Exception {
    crashedUnderFtAndDecided();
    running.add("v"); // an operator's start reached the agent before the queued failover ran
    runQueue();
    assertThat(calls).isEmpty();
    assertThat(f.store.owner("v").orElseThrow().value().host()).isEqualTo("a");
  }

  @Test
  void aVmMissingOnItsHostIsCreatedAndStartedThereThroughItsQueueAtTheOwnerEpoch() throws Exception {
    f.vm("v", "a", GIB, true);
    tick(1_000); // first read of the owner record
    now.set(1_500);
    heartbeat("a");
    tick(2_000);
    assertThat(calls).isEmpty(); // nothing happens in the pass itself
    runQueue();
    assertThat(calls).containsExactly("create v 1", "start v 1");
    now.set(2_100);
    heartbeat("a"); // a heartbeat of before the boot finished would not count; this one is after
    tick(2_200);
    runQueue();
    assertThat(calls).hasSize(4);
  }

  /**
   * A heartbeat sampled before an operator's start reached the agent, delivered after HA read the
   * owner record, shows the VM missing; by the time the action runs, the VM runs. HA must not
   * create or start it again, nor report a restart (found by ZooKeeperEnsembleTest).
   */
  @Test
  void aVmThatAnOlderHeartbeatShowedMissingButThatRunsNowIsLeftAlone() throws Exception {
    f.vm("v", "a", GIB, true);
    tick(1_000);
    now.set(1_500);
    heartbeat("a"); // sampled before the operator's start
    tick(2_000);
    running.add("v"); // the operator's start reached the agent meanwhile
    runQueue();
    assertThat(calls).isEmpty();
  }

  /**
   * The agent froze right after the VM started (HaFailoverTest froze it with SIGSTOP): a restart in
   * place decided on an older heartbeat must give up quickly and start nothing, or it holds the
   * VM's queue, and with it the VM's failover, for the long deadline of a start.
   */
  @Test
  void aRestartInPlaceOnAnAgentThatDoesNotAnswerGivesUpQuicklyAndStartsNothing() throws Exception {
    f.vm("v", "a", GIB, true);
    tick(1_000);
    now.set(1_500);
    heartbeat("a");
    tick(2_000);
    frozen = true;
    long t0 = System.nanoTime();
    runQueue();
    assertThat(calls).isEmpty();
    assertThat(java.time.Duration.ofNanos(System.nanoTime() - t0)).isLessThan(java.time.Duration.ofSeconds(30));
  }

  /**
   * Issue 9, window 1, through the executor: the pass decides on owner {a, 1}; before the action
   * runs on the VM's queue, the migration's compare-and-set moves the VM to b and a removes its
   * copy. The action re-reads the owner record and creates and starts nothing.
   */
  @Test
  void window1AVmThatMigratedAfterThePassDecidedIsNotBootedOnItsOldHost() throws Exception {
    f.vm("v", "a", GIB, true);
    tick(1_000);
    now.set(1_500);
    heartbeat("a"); // a removed its copy: the migration finished
    tick(2_000); // decides on the owner record it read: {a, 1}
    f.moveOwner("v", "b"); // the record as it really is by now
    runQueue();
    assertThat(calls).isEmpty();
    assertThat(f.store.owner("v").orElseThrow().value()).isEqualTo(new OwnerRecord("b", 2));
    // And b's heartbeat from before the change does not make HA boot it on b either.
    tick(2_500);
    runQueue();
    assertThat(calls).isEmpty();
    now.set(3_000);
    heartbeat("b", VmLoad.newBuilder().setName("v").setState(VmState.VM_STATE_RUNNING).build());
    tick(3_500);
    runQueue();
    assertThat(calls).isEmpty();
  }

  /**
   * An agent that cannot be asked whether its VM needs a restart (its port refusing while it
   * restarts) gets no restart; the passes that therefore did nothing do not use up the restart
   * limit. ComposeClusterTest saw three such passes leave a VM down for the limit's ten minutes.
   */
  @Test
  void restartsInPlaceThatDidNothingDoNotCountAgainstTheRestartLimit() throws Exception {
    f.vm("v", "a", GIB, true);
    tick(1_000);
    unavailable = true;
    for (int pass = 1; pass <= 4; pass++) { // the limit is 3
      now.set(pass * 10_000 - 500);
      heartbeat("a"); // v missing on a
      tick(pass * 10_000);
      runQueue();
    }
    assertThat(calls).isEmpty();
    unavailable = false;
    now.set(49_500);
    heartbeat("a");
    tick(50_000);
    runQueue();
    assertThat(calls).containsExactly("create v 1", "start v 1");
    assertThat(f.events.list(-1, "v", "", 100).stream().map(e -> e.event().kind()))
        .doesNotContain("vm.restart-limit").contains("vm.restarted");
  }

  @Test
  void thePassAdvisesEachHostsPoolFromTheVmsItWouldTakeOverAndRecomputesItPeriodically() throws Exception {
    PoolAdvice advice = new PoolAdvice();
    ha.advisePools(advice);
    f.vm("v1", "a", GIB, true);
    f.vm("v2", "a", GIB, true);
    tick(1_000);
    assertThat(advice.forHost("b")).as("both of a's VMs would come to b").isEqualTo(2);
    assertThat(advice.forHost("a")).isZero();
    f.vm("v3", "a", GIB, true);
    tick(1_000 + HaMonitor.POOL_ADVICE_PERIOD_MS - 1);
    assertThat(advice.forHost("b")).as("not recomputed within the period").isEqualTo(2);
    tick(1_000 + HaMonitor.POOL_ADVICE_PERIOD_MS);
    assertThat(advice.forHost("b")).isEqualTo(3);
  }

  @Test
  void aFailoverSetsTheOwnerOnTheQueueAndStartsAtTheNewEpoch() throws Exception {
    f.vm("v", "a", GIB, true);
    host("a", false);
    tick(1_000); // first sight of a down
    tick(4_000); // the delay has passed
    assertThat(f.store.owner("v").orElseThrow().value()).isEqualTo(new OwnerRecord("a", 1));
    runQueue();
    assertThat(f.store.owner("v").orElseThrow().value()).isEqualTo(new OwnerRecord("b", 2));
    assertThat(calls).containsExactly("create v 2", "start v 2");
  }

  @Test
  void aFailoverWhoseOwnerRecordMovedMeanwhileDoesNothing() throws Exception {
    f.vm("v", "a", GIB, true);
    host("a", false);
    tick(1_000);
    tick(4_000);
    f.moveOwner("v", "a"); // someone else wrote the record: the compare-and-set must fail
    runQueue();
    assertThat(f.store.owner("v").orElseThrow().value()).isEqualTo(new OwnerRecord("a", 2));
    assertThat(calls).isEmpty();
  }

  @Test
  void queuedActionsDoNothingOnceTheLeaderTermEnded() throws Exception {
    f.vm("v", "a", GIB, true);
    tick(1_000);
    now.set(1_500);
    heartbeat("a");
    tick(2_000);
    ha.close();
    runQueue();
    assertThat(calls).isEmpty();
  }
}
