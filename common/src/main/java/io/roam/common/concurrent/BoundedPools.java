package io.roam.common.concurrent;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread pools with a ceiling on their threads: a flood of requests (or of VMs, or of migrations)
 * queues work instead of starting a thread per task until the host runs out of memory. Idle threads
 * end after a minute, so a quiet daemon holds none. Used wherever Roam would otherwise reach for
 * {@code Executors.newCachedThreadPool}.
 *
 * <p>The queue behind the threads is unbounded by design: every caller bounds what it submits some
 * other way (an {@link OrderedExecutor} hands the pool at most one task per key; gRPC caps the calls
 * per connection, and only certified peers connect), and refusing a task there would leave a VM's
 * queue or a migration half-done. Thread-safe, as {@link ThreadPoolExecutor} is.
 */
public final class BoundedPools {
  private BoundedPools() {}

  /** A pool of at most {@code maxThreads} daemon threads named {@code name-N}. */
  public static ExecutorService of(String name, int maxThreads) {
    if (maxThreads < 1) {
      throw new IllegalArgumentException("a pool needs at least one thread: " + maxThreads);
    }
    AtomicInteger n = new AtomicInteger();
    ThreadFactory threads = r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    // core == max with core threads timing out: ThreadPoolExecutor only grows past core when the
    // queue is full, which an unbounded queue never is, so the ceiling must be the core size.
    ThreadPoolExecutor pool = new ThreadPoolExecutor(maxThreads, maxThreads, 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), threads);
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
