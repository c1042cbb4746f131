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
 * A kv client that writes without pause on its own thread — {@code key<n> = value<n>}, then an
 * increment of {@code counter} — and counts what was acknowledged, so that a test can check the
 * invariant afterwards: every acknowledged write is there, and no increment was applied twice.
 */
final class KvWriter implements AutoCloseable {
  private final Supplier<String> endpoint;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final Thread thread;

  KvWriter(Supplier<String> endpoint, Duration retryFor) {
    this.endpoint = endpoint;
    thread = new Thread(() -> {
      try (KvClient k = new KvClient(endpoint, retryFor)) {
        while (!stop.get()) {
          long n = acked.get();
          k.put("key" + n, "value" + n);
          k.increment("counter");
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
      for (long i = 0; i < n; i++) {
        assertThat(k.get("key" + i)).as("acknowledged write %d", i).contains("value" + i);
      }
      assertThat(k.increment("counter") - 1).as("increments: none lost, none doubled").isEqualTo(n);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    thread.join(60_000);
  }
}
