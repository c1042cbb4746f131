package io.roam.master.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.roam.common.model.OwnerRecord;
import io.roam.master.dpm.DpmLevel;
import io.roam.master.dpm.DpmSettings;
import io.roam.master.drs.Automation;
import io.roam.master.drs.DrsSettings;
import io.roam.master.drs.model.HostMode;
import io.roam.master.hosts.LoadHistory;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.CuratorClusterStore;
import io.roam.master.inventory.HostControl;
import io.roam.master.inventory.NotLeaderException;
import io.roam.master.inventory.HostEvent;
import io.roam.master.inventory.ZkFixture;
import io.roam.master.power.PowerControl;
import io.roam.master.power.PowerDriver;
import io.roam.master.power.PowerException;
import io.roam.proto.HostHeartbeat;
import io.roam.proto.VmLoad;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leader's DRS/DPM executor against a real ZooKeeper inventory, with migrations and power
 * drivers replaced by recorders: what it starts, what it waits for, and what it writes.
 */
class ResourceSchedulerTest {
  private static final long GIB = 1L << 30;
  @TempDir Path dir;
  private ZkFixture f;
  private LoadHistory load;
  private final List<String> started = new ArrayList<>();
  private final Set<String> finished = new HashSet<>();
  private final List<String> power = new ArrayList<>();
  private boolean powerFails;

  private final MigrationStarter migrations = new MigrationStarter() {
    @Override
    public String start(String vm, String toHost) {
      started.add(vm + "->" + toHost);
      return "m-" + vm;
    }

    @Override
    public boolean finished(String id, String sourceHost) {
      return finished.contains(id);
    }
  };

  private final PowerControl drivers = host -> {
    if (f.store.powerDriver(host).isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new PowerDriver() {
      @Override
      public void powerOn() throws PowerException {
        power.add("on " + host);
        if (powerFails) {
          throw new PowerException("BMC unreachable");
        }
      }

      @Override
      public void powerOff() {
        power.add("off " + host);
      }

      @Override
      public PowerState status() {
        return PowerState.UNKNOWN;
      }
    });
  };

  @BeforeEach
  void setUp() throws Exception {
    f = new ZkFixture(dir.resolve("zk"));
    load = new LoadHistory(120_000);
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  private ResourceScheduler scheduler(DrsSettings drs, DpmSettings dpm, long intervalMs) {
    return scheduler(f.store, drs, dpm, intervalMs);
  }

  /** A scheduler whose writes go through {@code writes} (a leader's term-bound store, or not). */
  private ResourceScheduler scheduler(ClusterStore writes, DrsSettings drs, DpmSettings dpm, long intervalMs) {
    return new ResourceScheduler(writes, new SnapshotReader(f.store, load, 10_000), load, migrations, drivers, f.events,
        new ResourceScheduler.Settings(drs, dpm, intervalMs, 30_000), f.clock, f.clock::millis);
  }

  private static DpmSettings dpmOff() {
    return DpmSettings.defaults().withLevel(DpmLevel.OFF);
  }

  /** The VMs report {@code cores} of CPU each over the last seconds. */
  private void demand(Map<String, String> vmHosts, double cores) {
    for (int s = 0; s <= 10; s++) {
      for (Map.Entry<String, String> e : vmHosts.entrySet()) {
        load.record(HostHeartbeat.newBuilder().setHost(e.getValue()).addVms(VmLoad.newBuilder().setName(e.getKey())
            .setCpuNanos((long) (s * 1e9 * cores))).build(), f.clock.millis() - 10_000 + s * 1000L);
      }
    }
  }

  @Test
  void maintenanceMovesEveryVmAwayAndEndsWhenTheLastMoveIsDone() throws Exception {
    for (String h : List.of("h1", "h2", "h3")) {
      f.host(h, 2, 4 * GIB, null, true);
    }
    f.vm("a", "h1", GIB, true);
    f.vm("b", "h1", GIB, true);
    f.vm("off", "h1", GIB, false); // should not run: it stays, it is not evacuated
    f.store.setHostControl("h1", HostControl.CONNECTED.withMode(HostMode.ENTERING_MAINTENANCE, 0, "operator"));
    ResourceScheduler s = scheduler(DrsSettings.defaults(), dpmOff(), 300_000);
    s.tickSafely();
    assertThat(started).hasSize(2).allMatch(m -> !m.endsWith("h1"));
    assertThat(f.store.hostControl("h1").mode()).isEqualTo(HostMode.ENTERING_MAINTENANCE);
    s.tickSafely(); // in flight: nothing new, still entering
    assertThat(started).hasSize(2);
    for (String m : started) {
      String[] p = m.split("->");
      f.moveOwner(p[0], p[1]);
      finished.add("m-" + p[0]);
    }
    s.tickSafely();
    assertThat(f.store.hostControl("h1").mode()).isEqualTo(HostMode.MAINTENANCE);
    assertThat(f.eventKinds()).contains("drs.migrate a", "drs.migrate b", "host.maintenance h1");
  }

  private static final Map<String, String> BUSY_ON_H1 = Map.of("a", "h1", "b", "h1");

  /** Hosts h1 and h2 of one core, VMs a and b on h1 busy 0.4 cores each, DRS at manual: one move to recommend. */
  private ResourceScheduler twoBusyVmsOnOneOfTwoOneCoreHostsManual() throws Exception {
    for (String h : List.of("h1", "h2")) {
      f.host(h, 1, 4 * GIB, null, true);
    }
    f.vm("a", "h1", GIB, true);
    f.vm("b", "h1", GIB, true);
    demand(BUSY_ON_H1, 0.4);
    return scheduler(DrsSettings.defaults().withAutomation(Automation.MANUAL), dpmOff(), 0);
  }

  @Test
  void manualAutomationOnlyRecommendsUntilAnOperatorApplies() throws Exception {
    ResourceScheduler s = twoBusyVmsOnOneOfTwoOneCoreHostsManual();
    s.tickSafely();
    assertThat(started).isEmpty();
    List<Recommendation> recs = s.status().recommendations();
    assertThat(recs).singleElement().satisfies(r -> {
      assertThat(r.kind()).isEqualTo("balance");
      assertThat(r.to()).isEqualTo("h2");
    });
    assertThat(s.apply(List.of("nope"), false).failed()).containsKey("nope");
    ResourceScheduler.Applied applied = s.apply(List.of(recs.get(0).id()), false);
    assertThat(applied.failed()).isEmpty();
    assertThat(applied.applied()).containsExactly(recs.get(0));
    assertThat(started).containsExactly(recs.get(0).vm() + "->h2");
  }

  /**
   * A recommendation made again by the next pass keeps its id, so that an operator who read it (or
   * a dashboard a pass behind) can apply it; DashboardBrowserTest's Apply was refused as "no such
   * recommendation" when a pass every 3 s renamed it. One that is not made again is gone.
   */
  @Test
  void aRecommendationMadeAgainByTheNextPassKeepsItsIdAndCanBeAppliedByIt() throws Exception {
    ResourceScheduler s = twoBusyVmsOnOneOfTwoOneCoreHostsManual();
    s.tickSafely();
    Recommendation seen = s.status().recommendations().get(0);
    f.clock.advance(1_000);
    demand(BUSY_ON_H1, 0.4);
    s.tickSafely(); // the next pass, making the same move again
    assertThat(s.status().recommendations()).singleElement().satisfies(r -> {
      assertThat(r.id()).isEqualTo(seen.id());
      assertThat(r.vm()).isEqualTo(seen.vm());
    });
    assertThat(s.apply(List.of(seen.id()), false).failed()).isEmpty();
    assertThat(started).containsExactly(seen.vm() + "->h2");

    // Applied and moving: the next pass does not recommend it again, and its id is gone.
    s.tickSafely();
    assertThat(s.status().recommendations()).noneMatch(r -> r.id().equals(seen.id()));
  }

  @Test
  void runTimeSettingsInZooKeeperOverrideTheConfiguration() throws Exception {
    for (String h : List.of("h1", "h2")) {
      f.host(h, 1, 4 * GIB, null, true);
    }
    f.vm("a", "h1", GIB, true);
    f.vm("b", "h1", GIB, true);
    demand(Map.of("a", "h1", "b", "h1"), 0.4);
    ResourceScheduler s = scheduler(DrsSettings.defaults(), dpmOff(), 0);
    f.store.setSchedulerOverrides(new io.roam.master.inventory.SchedulerOverrides(1, null, null, null, null));
    s.tickSafely();
    assertThat(started).isEmpty(); // threshold 1: mandatory moves only
    assertThat(s.status().threshold()).isEqualTo(1);
    f.store.setSchedulerOverrides(new io.roam.master.inventory.SchedulerOverrides(3, "manual", null, 50, 10));
    s.tickSafely();
    assertThat(started).isEmpty();
    assertThat(s.status().recommendations()).hasSize(1);
    assertThat(s.status().dpmTarget()).isEqualTo(0.50);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.check(
        new io.roam.master.inventory.SchedulerOverrides(null, null, null, 95, null)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("band");
  }

  @Test
  void dpmParksAnIdleHostWithADriverAndPowersItOffOnceEmpty() throws Exception {
    f.host("h1", 2, 4 * GIB, null, true);
    f.host("h2", 2, 4 * GIB, null, true);
    f.host("h3", 2, 4 * GIB, null, true);
    f.store.setPowerDriver("h3", "proc-h3");
    f.vm("a", "h1", GIB, true);
    f.vm("b", "h3", GIB, true);
    DpmSettings dpm = DpmSettings.defaults().withWindows(2_000, 4_000).withFailuresToTolerate(0);
    ResourceScheduler s = scheduler(DrsSettings.defaults(), dpm, 0);
    for (int i = 0; i < 4; i++) { // build up a full power-off window of (near-zero) demand
      f.clock.advance(2_000);
      s.tickSafely();
    }
    // Only h3 has a driver: it is the one parked, and its VM moves away first.
    assertThat(f.store.hostControl("h3").mode()).isEqualTo(HostMode.ENTERING_STANDBY);
    assertThat(f.store.hostControl("h2").mode()).isEqualTo(HostMode.CONNECTED);
    f.clock.advance(2_000);
    s.tickSafely();
    assertThat(started).containsExactly("b->h2");
    assertThat(power).isEmpty(); // not while a VM is still there
    f.moveOwner("b", "h2");
    finished.add("m-b");
    f.clock.advance(2_000);
    s.tickSafely();
    assertThat(power).containsExactly("off h3");
    assertThat(f.store.hostControl("h3").mode()).isEqualTo(HostMode.STANDBY);
    assertThat(f.eventKinds()).contains("host.entering-standby h3", "host.standby h3");
  }

  @Test
  void aHostHoldingAnFtSecondaryIsNotPoweredOffUntilTheSecondaryHasLeftAndItsMemoryIsNotFree() throws Exception {
    f.host("h1", 2, 4 * GIB, null, true);
    f.host("h2", 2, 4 * GIB, null, true);
    f.host("h3", 2, 4 * GIB, null, true);
    f.store.setPowerDriver("h3", "proc-h3");
    f.vm("a", "h1", 3 * GIB, true);
    protect("a", "h3");
    SnapshotReader.Read read = new SnapshotReader(f.store, load, 10_000).read(f.clock.millis(), Map.of(), List.of(),
        List.of());
    assertThat(read.secondaries()).isEqualTo(Map.of("h3", List.of("a")));
    assertThat(read.snapshot().hosts()).filteredOn(h -> h.name().equals("h3")).singleElement()
        .satisfies(h -> assertThat(h.memoryBytes()).isEqualTo(GIB)); // 4 GiB less the secondary's 3

    DpmSettings dpm = DpmSettings.defaults().withWindows(2_000, 4_000).withFailuresToTolerate(0);
    ResourceScheduler s = scheduler(DrsSettings.defaults(), dpm, 0);
    for (int i = 0; i < 5; i++) {
      f.clock.advance(2_000);
      s.tickSafely();
    }
    // h3 runs no VM, so DPM parks it; but it holds a's secondary: it stays on.
    assertThat(f.store.hostControl("h3").mode()).isEqualTo(HostMode.ENTERING_STANDBY);
    assertThat(power).isEmpty();
    // FT moved the secondary away (its protection ended: the owner record lost its tag).
    var o = f.store.owner("a").orElseThrow();
    f.store.compareAndSetOwner("a", o.version(), new OwnerRecord("h1", o.value().epoch()));
    f.clock.advance(2_000);
    s.tickSafely();
    assertThat(power).containsExactly("off h3");
    assertThat(f.store.hostControl("h3").mode()).isEqualTo(HostMode.STANDBY);
  }

  /** What the primary's agent writes once {@code vm}'s secondary on {@code secondary} is seeded. */
  private void protect(String vm, String secondary) throws Exception {
    var o = f.store.owner(vm).orElseThrow();
    f.store.compareAndSetOwner(vm, o.version(), new OwnerRecord(o.value().host(), o.value().epoch(),
        OwnerRecord.ftTag(secondary, "d1")));
  }

  @Test
  void dpmLeavesOnAHostThatHoldsStoppedVms() throws Exception {
    for (String h : List.of("h1", "h2", "h3")) {
      f.host(h, 2, 4 * GIB, null, true);
      f.store.setPowerDriver(h, "proc-" + h);
    }
    f.vm("a", "h1", GIB, true);
    f.vm("s2", "h2", GIB, false);
    f.vm("s3", "h3", GIB, false);
    ResourceScheduler s = scheduler(DrsSettings.defaults(), DpmSettings.defaults().withWindows(2_000, 4_000)
        .withFailuresToTolerate(0), 0);
    for (int i = 0; i < 4; i++) {
      f.clock.advance(2_000);
      s.tickSafely();
    }
    // h2 and h3 run nothing but hold stopped VMs an agent would forget when powered off: h1 goes.
    assertThat(f.store.hostControl("h1").mode()).isEqualTo(HostMode.ENTERING_STANDBY);
    assertThat(f.store.hostControl("h2").mode()).isEqualTo(HostMode.CONNECTED);
    assertThat(f.store.hostControl("h3").mode()).isEqualTo(HostMode.CONNECTED);
  }

  @Test
  void aWakeThatFailsOrNeverComesBackMarksTheHostWakeFailed() throws Exception {
    f.host("h1", 1, 4 * GIB, null, true);
    f.host("h2", 1, 4 * GIB, null, false);
    f.store.setPowerDriver("h2", "proc-h2");
    f.store.setHostControl("h2", HostControl.CONNECTED.withMode(HostMode.STANDBY, 0, "dpm"));
    ResourceScheduler s = scheduler(DrsSettings.defaults(), dpmOff(), 300_000);
    // An operator wakes it; the driver works but the agent never returns within the timeout.
    s.wake("h2", HostEvent.OPERATOR_POWER_ON, f.clock.millis(), "test");
    assertThat(f.store.hostControl("h2").mode()).isEqualTo(HostMode.WAKING);
    f.clock.advance(30_001);
    s.tickSafely();
    HostControl c = f.store.hostControl("h2");
    assertThat(c.mode()).isEqualTo(HostMode.STANDBY);
    assertThat(c.wakeFailed()).isTrue();
    // A driver that fails outright marks it at once.
    f.store.setHostControl("h2", c.withWakeFailed(false));
    powerFails = true;
    s.wake("h2", HostEvent.OPERATOR_POWER_ON, f.clock.millis(), "test");
    assertThat(f.store.hostControl("h2").wakeFailed()).isTrue();
    assertThat(f.eventKinds().stream().filter(e -> e.equals("host.wake-failed h2"))).hasSize(2);
  }

  /**
   * Only the leader acts (issue 9): a scheduler whose term ended before it noticed powers no host
   * off or on and starts no migration, though each of these comes before any write of its own;
   * the pass ends with NotLeaderException rather than a misleading "power off failed; retrying".
   */
  @Test
  void aSchedulerWhoseTermEndedPowersNoHostOnOrOffAndStartsNoMigration() throws Exception {
    f.host("h1", 2, 4 * GIB, null, true);
    f.host("h2", 2, 4 * GIB, null, true);
    f.host("h3", 2, 4 * GIB, null, true);
    f.host("h4", 2, 4 * GIB, null, false);
    for (String h : List.of("h3", "h4")) {
      f.store.setPowerDriver(h, "proc-" + h);
    }
    f.vm("a", "h1", GIB, true);
    f.store.setHostControl("h1", HostControl.CONNECTED.withMode(HostMode.ENTERING_MAINTENANCE, 0, "operator"));
    f.store.setHostControl("h3", HostControl.CONNECTED.withMode(HostMode.ENTERING_STANDBY, 0, "dpm")); // empty
    f.store.setHostControl("h4", HostControl.CONNECTED.withMode(HostMode.STANDBY, 0, "dpm"));
    ResourceScheduler s = scheduler(f.store.forTerm(f.store.nextEpoch()), DrsSettings.defaults(), dpmOff(), 300_000);

    CuratorFramework secondMasterZk = io.roam.master.zk.TestPki.get().client("127.0.0.1:" + f.server.port(),
        new RetryOneTime(100));
    try {
      secondMasterZk.start();
      secondMasterZk.blockUntilConnected(10, TimeUnit.SECONDS);
      new CuratorClusterStore(secondMasterZk).nextEpoch(); // a second master is elected
    } finally {
      secondMasterZk.close();
    }

    // The empty entering-standby host would be powered off: not by this term.
    assertThatThrownBy(s::tick).isInstanceOf(NotLeaderException.class);
    assertThat(power).isEmpty();
    assertThat(f.store.hostControl("h3").mode()).isEqualTo(HostMode.ENTERING_STANDBY);
    // Without it, the pass gets to the evacuation of h1: no migration is started.
    f.store.setHostControl("h3", HostControl.CONNECTED);
    assertThatThrownBy(s::tick).isInstanceOf(NotLeaderException.class);
    assertThat(started).isEmpty();
    // An operator's (or DPM's) power-on of the standby host.
    assertThatThrownBy(() -> s.wake("h4", HostEvent.OPERATOR_POWER_ON, f.clock.millis(), "test"))
        .isInstanceOf(NotLeaderException.class);
    assertThat(power).isEmpty();
    assertThat(f.store.hostControl("h4").mode()).isEqualTo(HostMode.STANDBY);
    assertThat(f.eventKinds()).noneMatch(e -> e.startsWith("host.standby-failed") || e.startsWith("drs.migrate"));
  }
}
