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
  private final long bytesPerSecond;
  private final long startNanos = System.nanoTime();
  private final CountDownLatch cancelled = new CountDownLatch(1);
  private long pacedBytes;

  /** @param bytesPerSecond 0: no limit */
  Pacer(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  /** Waits until {@code bytes} more may be sent; throws at once once cancelled. */
  void pace(long bytes) throws InterruptedException {
    if (cancelled.getCount() == 0) {
      throw new MigrationException("precopy", "cancelled");
    }
    if (bytesPerSecond <= 0) {
      return;
    }
    pacedBytes += bytes;
    long due = startNanos + pacedBytes * 1_000_000_000L / bytesPerSecond;
    long wait = due - System.nanoTime();
    if (wait > 0 && cancelled.await(wait, TimeUnit.NANOSECONDS)) {
      throw new MigrationException("precopy", "cancelled");
    }
  }

  void cancel() {
    cancelled.countDown();
  }
}
