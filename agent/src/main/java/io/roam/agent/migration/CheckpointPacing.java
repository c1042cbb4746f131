package io.roam.agent.migration;

import java.util.Locale;

/**
 * FT's checkpoint interval when the VM dirties memory faster than its secondary can take it
 * (DESIGN.md "FT", "Pacing"): a pure function from the last checkpoint's timing to the next
 * interval and throttle. {@link Migrator} measures and follows; fixture tests walk every rule.
 *
 * <p>A checkpoint is behind when its pages took longer to reach the secondary (resume to
 * acknowledgement) than the interval: the VM then runs that much longer with output held, and the
 * next checkpoint carries more pages. A longer interval lets a page written many times travel once,
 * so the rules, in order:
 *
 * <ol>
 *   <li>Behind, below the longest interval: double the interval (at most the longest).
 *   <li>Behind at the longest interval: throttle the VM, 20 points at a time, at most 80 %, as a
 *       migration's auto-converge does: its dirty rate must come down to what the secondary takes.
 *   <li>{@value #CALM_STREAK} checkpoints in a row with their transfer within a quarter of the
 *       interval: take a throttle step back first, then halve the interval back towards the
 *       configured one.
 * </ol>
 *
 * <p>The longest interval is eight times the configured one, but at most one second (never less
 * than the configured interval): output waits a whole interval, so a longer one is felt by every
 * client.
 *
 * <p>Thread-safety: immutable records and pure functions.
 */
public final class CheckpointPacing {
  static final int CALM_STREAK = 8;
  static final int THROTTLE_STEP_PERCENT = 20;
  static final int MAX_THROTTLE_PERCENT = 80;
  static final long LONGEST_INTERVAL_CAP_MS = 1_000;

  private CheckpointPacing() {}

  /**
   * Where pacing stands.
   *
   * @param intervalMs the interval now
   * @param throttlePercent the VM's throttle now (0: none)
   * @param calm checkpoints in a row that were well within their interval
   */
  public record State(long intervalMs, int throttlePercent, int calm) {
    public static State start(long configuredMs) {
      return new State(configuredMs, 0, 0);
    }
  }

  /**
   * The next state, and why it changed (null: unchanged, nothing to say).
   */
  public record Step(State next, String change) {}

  /** The longest interval pacing may reach for a configured interval. */
  public static long longestMs(long configuredMs) {
    return Math.max(configuredMs, Math.min(configuredMs * 8, LONGEST_INTERVAL_CAP_MS));
  }

  /**
   * @param configuredMs the interval the operator chose
   * @param now where pacing stands
   * @param transferMicros the last checkpoint's time from the VM's resume to the secondary's
   *     acknowledgement
   */
  public static Step after(long configuredMs, State now, long transferMicros) {
    long intervalMicros = now.intervalMs() * 1000;
    long longest = longestMs(configuredMs);
    if (transferMicros > intervalMicros) {
      String took = String.format(Locale.ROOT, "a checkpoint took %.1f ms to reach the secondary, more than the %d ms"
          + " interval", transferMicros / 1000.0, now.intervalMs());
      if (now.intervalMs() < longest) {
        long longer = Math.min(longest, now.intervalMs() * 2);
        return new Step(new State(longer, now.throttlePercent(), 0), took + ": the VM dirties memory faster than the"
            + " secondary takes it; checkpoint interval now " + longer + " ms (configured " + configuredMs + " ms)");
      }
      if (now.throttlePercent() < MAX_THROTTLE_PERCENT) {
        int throttle = Math.min(MAX_THROTTLE_PERCENT, now.throttlePercent() + THROTTLE_STEP_PERCENT);
        return new Step(new State(now.intervalMs(), throttle, 0), took + " at the longest interval (" + longest
            + " ms); throttling the VM to " + throttle + " %");
      }
      return new Step(new State(now.intervalMs(), now.throttlePercent(), 0), null); // said already at this step
    }
    if (transferMicros * 4 > intervalMicros) {
      return new Step(new State(now.intervalMs(), now.throttlePercent(), 0), null);
    }
    int calm = now.calm() + 1;
    if (calm < CALM_STREAK || (now.throttlePercent() == 0 && now.intervalMs() <= configuredMs)) {
      return new Step(new State(now.intervalMs(), now.throttlePercent(), Math.min(calm, CALM_STREAK)), null);
    }
    if (now.throttlePercent() > 0) {
      int throttle = Math.max(0, now.throttlePercent() - THROTTLE_STEP_PERCENT);
      return new Step(new State(now.intervalMs(), throttle, 0), "the secondary keeps up again; throttle now "
          + throttle + " %");
    }
    long shorter = Math.max(configuredMs, now.intervalMs() / 2);
    return new Step(new State(shorter, 0, 0), "the secondary keeps up again; checkpoint interval now " + shorter
        + " ms" + (shorter == configuredMs ? " (as configured)" : " (configured " + configuredMs + " ms)"));
  }
}
