package io.roam.agent.migration;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a migration's copy to its maximum bandwidth by waiting between batches, and ends such a
 * wait at once when the migration is cancelled or aborted: a slow copy never holds the VM's queue
 * past a cancel.
 *
 * <p>Thread-safety: {@link #pace} from the one sending thread; {@link #cancel} from any thread.
 */
final class Pacer {
  /**
   * Credit a pause can build up: 50 ms of the rate. Without a cap, the time before the first page
   * (the destination's preparation, a second or more) became credit for a burst at full speed, so
   * a capped migration's first rounds ran uncapped.
   */
  private static final long MAX_CREDIT_NANOS = 50_000_000L;

  private final long bytesPerSecond;
  private final CountDownLatch cancelled = new CountDownLatch(1);
  /** When the bytes paced so far may all have been sent at the rate (monotonic nanoseconds). */
  private long nextFreeNanos = System.nanoTime();

  /** @param bytesPerSecond 0: no limit */
  Pacer(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  /** Waits until {@code bytes} more may be sent; throws at once once cancelled. */
  /** Sleeps {@code nanos} unless cancelled first (then returns at once). */
  void sleepNanos(long nanos) throws InterruptedException {
    cancelled.await(nanos, TimeUnit.NANOSECONDS);
  }

  void pace(long bytes) throws InterruptedException {
    if (cancelled.getCount() == 0) {
      throw new MigrationException("precopy", "cancelled");
    }
    if (bytesPerSecond <= 0) {
      return;
    }
    long now = System.nanoTime();
    nextFreeNanos = Math.max(nextFreeNanos, now - MAX_CREDIT_NANOS) + bytes * 1_000_000_000L / bytesPerSecond;
    long wait = nextFreeNanos - now;
    if (wait > 0 && cancelled.await(wait, TimeUnit.NANOSECONDS)) {
      throw new MigrationException("precopy", "cancelled");
    }
  }

  void cancel() {
    cancelled.countDown();
  }
}
