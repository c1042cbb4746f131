package io.roam.common.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The per-key queue: in order per key, and nothing kept for a key whose queue is idle (issue 10). */
class OrderedExecutorTest {

  @Test
  void aKeyIsForgottenOnceItsQueueIsIdleSoAnyNumberOfNamesCostsNoMemory() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    OrderedExecutor queues = new OrderedExecutor(pool);
    List<CompletableFuture<String>> results = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      String name = "no-such-vm-" + i; // what a caller sends to DescribeVm, say
      results.add(queues.submit(name, () -> name));
    }
    for (int i = 0; i < results.size(); i++) {
      assertThat(results.get(i).get(10, TimeUnit.SECONDS)).isEqualTo("no-such-vm-" + i);
    }
    pool.shutdown(); // every task, and what runs after it, has finished once the pool is idle
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(queues.keysHeld()).isZero();
  }

  @Test
  void tasksOfOneKeyRunOneAtATimeInSubmissionOrderEvenAcrossIdlePeriods() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      OrderedExecutor queues = new OrderedExecutor(pool);
      List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger[] running = {new AtomicInteger(), new AtomicInteger()};
      AtomicBoolean overlapped = new AtomicBoolean();
      List<CompletableFuture<Integer>> results = new ArrayList<>();
      for (int i = 0; i < 2_000; i++) {
        int n = i;
        if (i > 0 && i % 100 == 0) {
          results.get(i - 1).get(10, TimeUnit.SECONDS); // both queues go idle (and are forgotten) now and then
        }
        results.add(queues.submit(i % 2 == 0 ? "a" : "b", () -> {
          if (running[n % 2].incrementAndGet() > 1) {
            overlapped.set(true);
          }
          seen.add(n);
          Thread.yield();
          running[n % 2].decrementAndGet();
          return n;
        }));
      }
      for (int i = 0; i < results.size(); i++) {
        assertThat(results.get(i).get(10, TimeUnit.SECONDS)).isEqualTo(i);
      }
      assertThat(overlapped).as("two tasks of one key at once").isFalse();
      List<Integer> a = new ArrayList<>();
      List<Integer> b = new ArrayList<>();
      for (int n : seen) {
        (n % 2 == 0 ? a : b).add(n);
      }
      assertThat(a).isSorted().hasSize(1_000);
      assertThat(b).isSorted().hasSize(1_000);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFailingTaskFailsItsOwnResultOnlyAndTheQueueGoesOn() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      OrderedExecutor queues = new OrderedExecutor(pool);
      CompletableFuture<String> failed = queues.submit("vm", () -> {
        throw new IllegalStateException("boom");
      });
      CompletableFuture<String> next = queues.submit("vm", () -> "after");
      assertThat(next.get(10, TimeUnit.SECONDS)).isEqualTo("after");
      assertThat(failed).isCompletedExceptionally();
    } finally {
      pool.shutdownNow();
    }
  }
}
