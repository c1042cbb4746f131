package io.roam.chaos;

import java.util.ArrayList;
import java.util.List;

/** Every request of every client, in the order they completed. Thread-safe (one lock). */
public final class History {
  private final List<Op> ops = new ArrayList<>();

  public synchronized void add(Op op) {
    ops.add(op);
  }

  public synchronized List<Op> snapshot() {
    return List.copyOf(ops);
  }

  public synchronized int size() {
    return ops.size();
  }
}
