package io.roam.chaos;

/**
 * One kv request as a client saw it: what it asked, when it asked ({@code invokeNanos}) and when it
 * knew the outcome ({@code returnNanos}, System.nanoTime() of the harness's JVM, so all clients
 * share one clock). {@code value} is the value written (PUT), read (GET, 0 when not found) or
 * returned (INCR).
 */
public record Op(int client, String vm, Type type, String key, long value, long invokeNanos, long returnNanos,
    Outcome outcome, String note) {

  /** The requests of the workload. */
  public enum Type { PUT, GET, INCR }

  /**
   * OK: acknowledged. FAIL: the VM answered an error, so nothing was applied. UNKNOWN: no answer
   * before the client gave up; it may or may not have been applied.
   */
  public enum Outcome { OK, FAIL, UNKNOWN }

  @Override
  public String toString() {
    return String.format("client %d %s %s %s=%d %s [%.3f s .. %.3f s]%s", client, vm, type, key, value, outcome,
        invokeNanos / 1e9, returnNanos / 1e9, note == null || note.isEmpty() ? "" : " (" + note + ")");
  }
}
