package io.roam.agent.migration;

import java.util.Arrays;

/**
 * What FT protection of one VM has done: checkpoints, the VM's pause per checkpoint (median, p99
 * and maximum of the last {@value #WINDOW}), bytes sent, how long the secondary took to
 * acknowledge (the time output waits), and the interval and throttle pacing chose. Thread-safety: synchronized; written by the protecting
 * thread, read by anyone.
 */
public final class CheckpointStats {
  static final int WINDOW = 1024;

  /** A point-in-time view; times in microseconds. */
  public record Snapshot(long checkpoints, long pauseMedianMicros, long pauseP99Micros, long pauseMaxMicros,
      long bytes, long lastAckMicros, long ackMedianMicros, long intervalMs, int throttlePercent) {}

  private final long[] pauses = new long[WINDOW];
  private final long[] acks = new long[WINDOW];
  private long checkpoints;
  private long bytes;
  private long lastAck;
  private long intervalMs;
  private int throttlePercent;

  /** The interval and throttle {@link CheckpointPacing} set. */
  synchronized void paced(long interval, int throttle) {
    intervalMs = interval;
    throttlePercent = throttle;
  }

  synchronized void checkpoint(long pauseMicros, long pageBytes, long ackMicros) {
    pauses[(int) (checkpoints % WINDOW)] = pauseMicros;
    acks[(int) (checkpoints % WINDOW)] = ackMicros;
    checkpoints++;
    bytes += pageBytes;
    lastAck = ackMicros;
  }

  public synchronized Snapshot snapshot() {
    int k = (int) Math.min(checkpoints, WINDOW);
    long[] p = Arrays.copyOf(pauses, k);
    long[] a = Arrays.copyOf(acks, k);
    Arrays.sort(p);
    Arrays.sort(a);
    return new Snapshot(checkpoints, at(p, 0.5), at(p, 0.99), k == 0 ? 0 : p[k - 1], bytes, lastAck, at(a, 0.5),
        intervalMs, throttlePercent);
  }

  private static long at(long[] sorted, double q) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }
}
