package io.roam.agent.fencing;

import io.roam.agent.vm.VmManager;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The agent's link in the lease chain (DESIGN.md invariant 4): every third of the lease length it
 * renews the lease of each VM, but only while {@code sessionHealthy} says so ({@link SessionGuard}).
 * When the session is suspended or lost, renewals stop and the VMs pause themselves when their
 * leases run out.
 */
public final class LeaseRenewer implements AutoCloseable {
  private final ScheduledFuture<?> task;

  public LeaseRenewer(VmManager vms, BooleanSupplier sessionHealthy, long leaseMillis, ScheduledExecutorService scheduler) {
    long period = Math.max(50, leaseMillis / 3);
    task = scheduler.scheduleAtFixedRate(() -> {
      if (sessionHealthy.getAsBoolean()) {
        vms.renewLeases();
      }
    }, 0, period, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    task.cancel(false);
  }
}
