package io.roam.common.concurrent;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Runs tasks for the same key one after another, in submission order, and tasks for different
 * keys in parallel: start, stop and destroy of one VM never race (CONVENTIONS.md, "one VM, one
 * queue").
 */
public final class OrderedExecutor {
  private final Executor pool;
  private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

  public OrderedExecutor(Executor pool) {
    this.pool = pool;
  }

  public <T> CompletableFuture<T> submit(String key, Callable<T> task) {
    CompletableFuture<T> result = new CompletableFuture<>();
    tails.compute(key, (k, tail) -> (tail == null ? CompletableFuture.<Void>completedFuture(null) : tail)
        .thenRunAsync(() -> {
          try {
            result.complete(task.call());
          } catch (Throwable t) {
            result.completeExceptionally(t);
          }
        }, pool));
    return result;
  }
}
