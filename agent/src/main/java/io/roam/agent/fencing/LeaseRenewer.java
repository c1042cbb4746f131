package io.roam.agent.fencing;

import io.roam.agent.vm.VmManager;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The agent's link in the lease chain (DESIGN.md invariant 4): every third of the lease length it
 * renews the lease of each VM to the deadline {@code deadline} gives ({@link
 * SessionGuard#leaseDeadlineMillis}: the last ZooKeeper contact plus the lease), and only when that
 * is still ahead. When the session is suspended or lost, renewals stop and the VMs pause themselves
 * when their leases run out. Runs on the scheduler's threads; holds no state of its own.
 */
public final class LeaseRenewer implements AutoCloseable {
  private final ScheduledFuture<?> task;

  public LeaseRenewer(VmManager vms, LongSupplier deadline, long leaseMillis, ScheduledExecutorService scheduler) {
    long period = Math.max(50, leaseMillis / 3);
    task = scheduler.scheduleAtFixedRate(() -> {
      long until = deadline.getAsLong();
      if (until > io.roam.common.time.Monotonic.millis()) {
        vms.renewLeases(until);
      }
    }, 0, period, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    task.cancel(false);
  }
}
