package io.roam.common.time;

/**
 * Monotonic time in milliseconds, for every deadline and delay inside one process (leases, the
 * failover delay, timeouts): the wall clock can be stepped (NTP, an operator), and a step during a
 * partition would stretch or shrink every safety margin. The origin is arbitrary: compare values,
 * never print them as dates.
 *
 * <p>On Linux, HotSpot's {@link System#nanoTime} reads CLOCK_MONOTONIC, one clock for every process
 * of the machine; that is what lets an agent and its VM processes share a lease deadline in guest
 * memory (see docs/DESIGN.md, "Time").
 */
public final class Monotonic {
  private Monotonic() {}

  public static long millis() {
    return System.nanoTime() / 1_000_000;
  }
}
