package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.kv.KvClient;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A kv client that writes without pause on its own thread — write n puts {@code value<n>} under
 * {@code key<n mod KEYS>}, then increments {@code counter} — and counts what was acknowledged, so
 * that a test can check the invariant afterwards: every acknowledged write is there (each key holds
 * exactly the last write acknowledged for it, so no acknowledged write was lost or undone), and no
 * increment was applied twice. The key space is bounded, so however fast the machine writes, the
 * VM's table never fills.
 */
final class KvWriter implements AutoCloseable {
  /** Keys the writer cycles through: far below what the smallest kv VM holds (16 MiB: about 27,000). */
  static final int KEYS = 1000;

  private final Supplier<String> endpoint;
  private final String prefix;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final Thread thread;

  KvWriter(Supplier<String> endpoint, Duration retryFor) {
    this(endpoint, retryFor, "");
  }

  /**
   * A writer whose keys and counter carry {@code prefix}, so that writers taking turns on one VM each
   * check their own history (the counter of a later writer starts at zero).
   */
  KvWriter(Supplier<String> endpoint, Duration retryFor, String prefix) {
    this.endpoint = endpoint;
    this.prefix = prefix;
    thread = new Thread(() -> {
      try (KvClient k = new KvClient(endpoint, retryFor)) {
        while (!stop.get()) {
          long n = acked.get();
          k.put(prefix + "key" + (n % KEYS), "value" + n);
          k.increment(prefix + "counter");
          acked.incrementAndGet();
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "kv-writer");
    thread.start();
  }

  long acked() {
    return acked.get();
  }

  Throwable failure() {
    return failure.get();
  }

  /** Stops writing, then checks every acknowledged write and the counter. */
  void stopAndVerify() throws IOException, InterruptedException {
    close();
    assertThat(failure.get()).isNull();
    long n = acked.get();
    try (KvClient k = new KvClient(endpoint, Duration.ofSeconds(10))) {
      // Write i is the last one to its key when no later write went there: i + KEYS >= n.
      for (long i = Math.max(0, n - KEYS); i < n; i++) {
        assertThat(k.get(prefix + "key" + (i % KEYS))).as("acknowledged write %d, the last to its key", i)
            .contains("value" + i);
      }
      assertThat(k.increment(prefix + "counter") - 1).as("increments: none lost, none doubled").isEqualTo(n);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    thread.join(60_000);
  }
}
