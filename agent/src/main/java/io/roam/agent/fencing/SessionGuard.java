package io.roam.agent.fencing;

import io.roam.agent.migration.Ownership;
import io.roam.agent.vm.VmManager;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether this agent may keep its VMs running (DESIGN.md invariant 4), and carries out the
 * isolation response:
 *
 * <ul>
 *   <li>Leases are renewed only while the connection is up, a ZooKeeper round trip succeeded within
 *       half a lease, and the session is the one the VMs were started under. After a freeze
 *       (SIGSTOP, a long pause) the last contact is old, so nothing is renewed on the strength of a
 *       connection state that has not caught up yet.
 *   <li>SUSPENDED: no renewals, so the VMs pause themselves when their leases run out; if the same
 *       session comes back in time, renewals resume and so do the VMs.
 *   <li>LOST, or a new session: the master may be restarting these VMs elsewhere, so every VM is
 *       powered off ({@link VmManager#powerOffAll}: leases revoked for good, migrations aborted,
 *       processes killed directly, never behind a VM's queue), and those whose ownership moved on
 *       are destroyed without running again.
 * </ul>
 */
public final class SessionGuard implements ConnectionStateListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SessionGuard.class);

  private final CuratorFramework zk;
  private final long leaseNanos;
  private final VmManager vms;
  private final Ownership ownership;
  private final ScheduledExecutorService scheduler;
  private final ScheduledFuture<?> probe;
  private volatile boolean connected = true;
  private volatile long lastContactNanos = System.nanoTime();
  private volatile long vmSessionId;
  private volatile boolean fenced;

  public SessionGuard(CuratorFramework zk, long leaseMillis, VmManager vms, Ownership ownership,
      ScheduledExecutorService scheduler) throws Exception {
    this.zk = zk;
    this.leaseNanos = TimeUnit.MILLISECONDS.toNanos(leaseMillis);
    this.vms = vms;
    this.ownership = ownership;
    this.scheduler = scheduler;
    this.vmSessionId = sessionId();
    zk.getConnectionStateListenable().addListener(this);
    long period = Math.max(50, leaseMillis / 4);
    probe = scheduler.scheduleWithFixedDelay(this::probe, 0, period, TimeUnit.MILLISECONDS);
  }

  /**
   * The lease deadline the VMs may have now, in {@code Monotonic.millis()}: the send time of the
   * last successful ZooKeeper round trip plus the lease, or {@link Long#MIN_VALUE} while the
   * connection is down, the host is being fenced, or the session is not the one the VMs were
   * started under. Anchored at the contact, not at the renewal: however late a renewal runs (a GC
   * pause or SIGSTOP between reading this and writing it), no copy steps past contact + lease, the
   * instant the lease rule counts from (LeaseRule, DESIGN.md "Time").
   */
  public long leaseDeadlineMillis() {
    long contact = lastContactNanos;
    if (!connected || fenced || !currentSessionIs(vmSessionId)) {
      return Long.MIN_VALUE;
    }
    return LeaseDeadline.anchoredAt(contact, leaseNanos);
  }

  private void probe() {
    // Contact counts from when the probe was sent, not answered: the server saw the session alive
    // no earlier than that, so the session cannot expire before sent + session timeout (DESIGN.md "Time").
    long sentNanos = System.nanoTime();
    try {
      zk.checkExists().forPath("/");
      lastContactNanos = sentNanos;
      if (!currentSessionIs(vmSessionId) && !fenced) {
        fence("the ZooKeeper session changed");
      }
    } catch (Exception e) {
      // no contact: lastContactNanos ages and renewals stop
    }
  }

  @Override
  public void stateChanged(CuratorFramework client, ConnectionState state) {
    connected = state == ConnectionState.CONNECTED || state == ConnectionState.RECONNECTED;
    if (state == ConnectionState.LOST) {
      fence("the ZooKeeper session was lost");
    } else if (connected && !currentSessionIs(vmSessionId)) {
      fence("a new ZooKeeper session began");
    }
  }

  private synchronized void fence(String why) {
    if (fenced) {
      return;
    }
    fenced = true;
    LOG.warn("{}: powering off every VM of this host (the master may restart them elsewhere)", why);
    scheduler.execute(() -> {
      try {
        vms.powerOffAll(why);
        // Wait for a session before deciding which copies are stale; then leases may flow again.
        while (!zk.getZookeeperClient().isConnected()) {
          Thread.sleep(100);
        }
        vms.destroyNotOwned(ownership);
        synchronized (this) {
          vmSessionId = sessionId();
          fenced = false;
        }
        LOG.info("fencing done; VMs start again only when the master says so");
      } catch (Exception e) {
        LOG.error("fencing: {}", e.toString());
        synchronized (this) {
          fenced = false;
        }
      }
    });
  }

  private boolean currentSessionIs(long id) {
    try {
      return sessionId() == id;
    } catch (Exception e) {
      return false;
    }
  }

  private long sessionId() throws Exception {
    return zk.getZookeeperClient().getZooKeeper().getSessionId();
  }

  @Override
  public void close() {
    probe.cancel(false);
    zk.getConnectionStateListenable().removeListener(this);
  }
}
