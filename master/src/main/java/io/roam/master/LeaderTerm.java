package io.roam.master;

import io.roam.common.concurrent.OrderedExecutor;
import io.roam.common.time.Monotonic;
import io.roam.master.api.AgentClients;
import io.roam.master.events.EventLog;
import io.roam.master.ha.HaMonitor;
import io.roam.master.ha.HaPlanner;
import io.roam.master.hosts.HostMonitor;
import io.roam.master.hosts.HostStatus;
import io.roam.master.hosts.LoadHistory;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.NotLeaderException;
import io.roam.master.power.PowerControl;
import io.roam.master.power.StoredPowerControl;
import io.roam.master.scheduler.MigrationStarter;
import io.roam.master.scheduler.ResourceScheduler;
import io.roam.master.scheduler.SnapshotReader;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What runs while this master leads, for one leadership term: the host monitor and HA every
 * {@link #PASS_MS} (one thread, in that order), and the DRS/DPM scheduler. Everything starts from the state
 * in ZooKeeper and stops when leadership is lost (DESIGN.md invariant 5).
 *
 * <p>Everything it creates writes through {@link #store()}, the store bound to this term: a pass
 * still running when the term ends (close does not interrupt it) cannot change anything, since
 * each of its writes fails with NotLeaderException once a newer master has taken an epoch.
 */
final class LeaderTerm implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderTerm.class);
  /**
   * A quarter second: a dead host's session is seen gone, and its failover delay seen over, at most
   * this late (a pass reads host records and the heartbeat reports already in memory, no agent).
   */
  static final long PASS_MS = 250;

  /** The settings of the leader's loops, from the master's configuration. */
  record Settings(boolean haEnabled, long failoverDelayMs, int restartLimit, long vmHeartbeatTimeoutMs,
      long heartbeatTimeoutMs,
      long demandWindowMs, io.roam.master.power.PowerDriverCatalog powerDrivers, String ipmitool,
      ResourceScheduler.Settings scheduler) {}

  private final ClusterStore termStore;
  private final HostMonitor hosts;
  private final HaMonitor ha;
  private final io.roam.master.ft.FtMonitor ft;
  private final ResourceScheduler scheduler;
  private final ScheduledFuture<?> task;
  private final ScheduledFuture<?> schedulerTask;

  /** @param queues the master's per-VM queues: HA's actions on a VM go through them like every other */
  LeaderTerm(long epoch, ClusterStore store, AgentClients agents, EventLog events, LoadHistory load,
      MigrationStarter migrations, OrderedExecutor queues, Settings s, Clock clock, ScheduledExecutorService haLoop,
      ScheduledExecutorService schedulerLoop, HaMonitor.Observer haObserver, io.roam.master.ha.PoolAdvice poolAdvice)
      throws Exception {
    this.termStore = store.forTerm(epoch);
    store = termStore; // nothing below may write outside the term
    SnapshotReader snapshots = new SnapshotReader(store, load, s.demandWindowMs());
    PowerControl power = new StoredPowerControl(store, agents, s.powerDrivers(), s.ipmitool(), epoch);
    this.hosts = new HostMonitor(store, load, events, clock, Monotonic::millis, s.failoverDelayMs(),
        s.heartbeatTimeoutMs());
    this.ha = s.haEnabled() ? new HaMonitor(store, agents, events, snapshots, load.reports(), power, queues, epoch,
        HaPlanner.Settings.of(s.failoverDelayMs(), s.restartLimit(), s.vmHeartbeatTimeoutMs()), clock,
        Monotonic::millis) : null;
    this.ft = new io.roam.master.ft.FtMonitor(store, agents, events, snapshots, epoch, Monotonic::millis);
    if (ha != null) {
      ha.observe(haObserver);
      ha.advisePools(poolAdvice);
    }
    // Its own thread: starting migrations and powering hosts can block, HA must not wait for them.
    this.scheduler = new ResourceScheduler(store, snapshots, load, migrations, power, events, s.scheduler(), clock,
        Monotonic::millis);
    this.schedulerTask = schedulerLoop.scheduleWithFixedDelay(scheduler::tickSafely, scheduler.tickMs(),
        scheduler.tickMs(), TimeUnit.MILLISECONDS);
    this.task = haLoop.scheduleWithFixedDelay(this::tick, 0, PASS_MS, TimeUnit.MILLISECONDS);
  }

  /** FT's pass every second: seeding a secondary takes seconds, and HA, not FT, acts on failures. */
  private static final int FT_EVERY_PASSES = 4;
  private int passes; // the pass thread only

  private void tick() {
    try {
      Map<String, HostStatus> states = hosts.tick();
      if (ha != null) {
        ha.tick(states);
      }
      if (++passes % FT_EVERY_PASSES == 0) {
        ft.tick(states); // its agent calls run on its own threads
      }
    } catch (NotLeaderException e) {
      LOG.info("host monitor / HA pass stopped: {}", e.getMessage());
    } catch (Exception e) {
      LOG.warn("host monitor / HA pass failed: {}", e.toString());
    }
  }

  /** The store bound to this term: the API's writes while this master leads go through it. */
  ClusterStore store() {
    return termStore;
  }

  ResourceScheduler scheduler() {
    return scheduler;
  }

  Optional<HostStatus> host(String name) {
    return Optional.ofNullable(hosts.current().get(name));
  }

  @Override
  public void close() {
    task.cancel(false);
    schedulerTask.cancel(false);
    if (ha != null) {
      ha.close();
    }
    ft.close();
  }
}
