package io.roam.master.dashboard;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The leader's last hour of cluster samples for the dashboard's charts: imbalance against its target
 * and how many hosts are powered on. In memory only (a new leader starts an empty chart); a sample
 * every ~10 s keeps at most {@link #CAPACITY} of them. Thread-safe.
 */
public final class DashboardHistory {
  /** One hour at one sample per 10 s. */
  public static final int CAPACITY = 360;
  /** Samples older than this are dropped even when fewer than {@link #CAPACITY} are kept. */
  public static final long WINDOW_MS = 3_600_000;

  /** One sample: when, the DRS imbalance and target (NaN before the first DRS pass), powered-on hosts. */
  public record Sample(long timeMs, double imbalance, double targetImbalance, int poweredOnHosts) {}

  private final Deque<Sample> samples = new ArrayDeque<>();

  public synchronized void add(Sample s) {
    samples.addLast(s);
    while (samples.size() > CAPACITY || samples.peekFirst().timeMs() < s.timeMs() - WINDOW_MS) {
      samples.removeFirst();
    }
  }

  /** The samples, oldest first. */
  public synchronized List<Sample> samples() {
    return List.copyOf(samples);
  }

  public synchronized void clear() {
    samples.clear();
  }
}
