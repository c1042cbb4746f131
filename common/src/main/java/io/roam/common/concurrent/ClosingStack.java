package io.roam.common.concurrent;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parts of a process in the order they started, closed in reverse order, once. A part that
 * fails to close is logged and the others still close.
 */
public final class ClosingStack implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClosingStack.class);
  private final Deque<AutoCloseable> parts = new ArrayDeque<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Registers a started part; returns it for convenience. */
  public synchronized <T extends AutoCloseable> T push(T part) {
    parts.push(part);
    return part;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    while (true) {
      AutoCloseable part;
      synchronized (this) {
        part = parts.poll();
      }
      if (part == null) {
        return;
      }
      try {
        part.close();
      } catch (Exception e) {
        LOG.warn("while stopping: {}", e.toString());
      }
    }
  }
}
