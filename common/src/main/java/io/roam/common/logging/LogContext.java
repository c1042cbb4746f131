package io.roam.common.logging;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.MDC;

/**
 * What a log line is about, as SLF4J MDC entries: {@link #VM}, {@link #HOST} and {@link #MIGRATION}.
 * They are set at the edges where a request for a VM or a migration is handled (the VM's queue, a
 * migration's start) and carried into the tasks those hand to other threads; conf/logback.xml prints
 * them on text lines and JSON lines carry them under {@code mdc}.
 *
 * <p>Thread-safety: MDC is per thread; every method here changes only the calling thread's, and
 * every scope gives back what the thread had before.
 */
public final class LogContext {
  public static final String VM = "vm";
  public static final String HOST = "host";
  public static final String MIGRATION = "migration";

  private LogContext() {}

  /** A scope that puts back the thread's earlier entries when closed; closing never throws. */
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /** Sets {@code key} to {@code value} (a blank value sets nothing) until the scope is closed. */
  public static Scope with(String key, String value) {
    return with(value == null || value.isBlank() ? Map.of() : Map.of(key, value));
  }

  /** Adds {@code ids} (blank values skipped) to the thread's entries until the scope is closed. */
  public static Scope with(Map<String, String> ids) {
    Map<String, String> before = MDC.getCopyOfContextMap();
    Map<String, String> now = before == null ? new HashMap<>() : new HashMap<>(before);
    ids.forEach((k, v) -> {
      if (v != null && !v.isBlank()) {
        now.put(k, v);
      }
    });
    MDC.setContextMap(now);
    return () -> {
      if (before == null) {
        MDC.clear();
      } else {
        MDC.setContextMap(before);
      }
    };
  }

  /**
   * {@code task} to run on another thread with the calling thread's entries now, plus {@code ids}:
   * what is handed off keeps saying what it is about.
   */
  public static <T> Callable<T> carry(Map<String, String> ids, Callable<T> task) {
    Map<String, String> carried = snapshot(ids);
    return () -> {
      try (Scope s = with(carried)) {
        return task.call();
      }
    };
  }

  /** As {@link #carry(Map, Callable)}, for a Runnable. */
  public static Runnable carry(Map<String, String> ids, Runnable task) {
    Map<String, String> carried = snapshot(ids);
    return () -> {
      try (Scope s = with(carried)) {
        task.run();
      }
    };
  }

  private static Map<String, String> snapshot(Map<String, String> ids) {
    Map<String, String> current = MDC.getCopyOfContextMap();
    Map<String, String> all = current == null ? new HashMap<>() : new HashMap<>(current);
    all.putAll(ids);
    return all;
  }
}
