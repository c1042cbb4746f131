package io.roam.common.concurrent;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import io.roam.common.logging.LogContext;

/**
 * Runs tasks for the same key one after another, in submission order, and tasks for different
 * keys in parallel: start, stop and destroy of one VM never race (CONVENTIONS.md, "one VM, one
 * queue").
 *
 * <p>A key is held only while it has a task running or waiting: once its queue is idle it is
 * forgotten, so a caller naming any number of keys (every VM name sent to {@code DescribeVm}, say)
 * leaves nothing behind.
 *
 * <p>Thread-safety: safe for any number of threads. A key's presence in {@link #queues} means a
 * task of that key runs (or was handed to the pool); its deque holds the tasks waiting behind it.
 * Both are changed only inside {@link ConcurrentHashMap#compute}, atomic per key.
 */
public final class OrderedExecutor {
  private final Executor pool;
  private final Function<String, Map<String, String>> logIds;
  private final Map<String, ArrayDeque<Job>> queues = new ConcurrentHashMap<>();

  public OrderedExecutor(Executor pool) {
    this(pool, key -> Map.of());
  }

  /**
   * @param logIds what a task of a key is about, for its log lines (e.g. {@code vm} = the key): each
   *     task runs with the submitter's log context plus these ({@link LogContext#carry})
   */
  public OrderedExecutor(Executor pool, Function<String, Map<String, String>> logIds) {
    this.pool = pool;
    this.logIds = logIds;
  }

  public <T> CompletableFuture<T> submit(String key, Callable<T> untagged) {
    Callable<T> task = LogContext.carry(logIds.apply(key), untagged);
    CompletableFuture<T> result = new CompletableFuture<>();
    Job job = new Job(() -> {
      try {
        try {
          result.complete(task.call());
        } catch (Throwable t) {
          result.completeExceptionally(t);
        }
      } finally {
        runNext(key); // after the result: its callbacks run before the key's next task starts
      }
    }, result);
    boolean[] first = {false};
    queues.compute(key, (k, waiting) -> {
      if (waiting == null) {
        first[0] = true;
        return new ArrayDeque<>();
      }
      waiting.add(job);
      return waiting;
    });
    if (first[0]) {
      start(key, job);
    }
    return result;
  }

  /** Hands the key's next waiting task to the pool, or forgets the key when none waits. */
  private void runNext(String key) {
    Job[] next = {null};
    queues.compute(key, (k, waiting) -> {
      next[0] = waiting.poll();
      return next[0] == null ? null : waiting;
    });
    if (next[0] != null) {
      start(key, next[0]);
    }
  }

  private void start(String key, Job job) {
    try {
      pool.execute(job.run());
    } catch (RejectedExecutionException e) {
      // The pool is shut down: this task will not run. Its result says so, and the queue goes on
      // (to the same end) so that the key is not held for ever.
      job.result().completeExceptionally(e);
      runNext(key);
    }
  }

  private record Job(Runnable run, CompletableFuture<?> result) {}

  /** Tests: how many keys have a task running or waiting. */
  int keysHeld() {
    return queues.size();
  }
}
