package io.roam.common.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BoundedPoolsTest {
  @Test
  void manyBlockedTasksNeverTakeMoreThreadsThanTheCeilingAndAllRunInTheEnd() throws Exception {
    ExecutorService pool = BoundedPools.of("test", 3);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    Set<String> threads = ConcurrentHashMap.newKeySet();
    CountDownLatch done = new CountDownLatch(50);
    for (int i = 0; i < 50; i++) {
      pool.execute(() -> {
        most.accumulateAndGet(running.incrementAndGet(), Math::max);
        threads.add(Thread.currentThread().getName());
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        running.decrementAndGet();
        done.countDown();
      });
    }
    // Three tasks block; the other 47 wait in the queue, not on new threads.
    while (running.get() < 3) {
      Thread.sleep(10);
    }
    assertThat(((java.util.concurrent.ThreadPoolExecutor) pool).getPoolSize()).isEqualTo(3);
    release.countDown();
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(most.get()).isEqualTo(3);
    assertThat(threads).hasSize(3).allMatch(n -> n.startsWith("test-"));
    pool.shutdownNow();
  }

  @Test
  void aPoolWithoutThreadsIsRefused() {
    assertThatThrownBy(() -> BoundedPools.of("x", 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
