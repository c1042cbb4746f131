package io.roam.agent.migration;

import java.util.Locale;

/**
 * When pre-copy has copied enough (DESIGN.md "Live migration", step 3): a pure function from what
 * the source measured after a round to what it does next — another round, another round with the
 * VM throttled harder, the switchover, or giving up. {@link Migrator} does the I/O and follows the
 * decision; the rules live here so that fixture tests can walk every branch without a VM.
 *
 * <p>The rules, in order:
 *
 * <ol>
 *   <li>Past the maximum total time: give up (the VM keeps running on the source).
 *   <li>The expected downtime (dirty bytes / bandwidth estimate) fits the downtime limit: switch over.
 *   <li>With auto-converge, when the dirty bytes did not shrink by a tenth since the previous
 *       round, throttle the VM: 20 % first, then 10 points a round, at most 99 %.
 *   <li>Without auto-converge, after {@link MigrationParams#MAX_ROUNDS_WITHOUT_AUTO_CONVERGE}
 *       rounds: give up as not converging.
 *   <li>Otherwise another round.
 * </ol>
 *
 * <p>Thread-safety: immutable; every method is a pure function of its arguments.
 */
public final class ConvergencePolicy {
  /**
   * A round of at least this much sets the bandwidth estimate, up or down. A shorter round's time
   * is mostly the round trip of its acknowledgement, so it may only understate the link: it
   * raises the estimate when it measured faster, and never lowers it.
   */
  static final long MIN_BYTES_TO_LOWER_ESTIMATE = 1 << 20;
  static final int FIRST_THROTTLE_PERCENT = 20;
  static final int THROTTLE_STEP_PERCENT = 10;
  static final int MAX_THROTTLE_PERCENT = 99;
  /** A round "shrank" when it left less than this share of the previous round's dirty bytes. */
  static final double SHRINK_FACTOR = 0.9;
  /** The bandwidth estimate before any round was measured. */
  public static final double NO_ESTIMATE = 0;

  private final MigrationParams params;

  public ConvergencePolicy(MigrationParams params) {
    this.params = params;
  }

  /**
   * What the source knows once a pre-copy round has been acknowledged.
   *
   * @param round the round just acknowledged (0: the pass over all memory)
   * @param dirtyBytes bytes dirtied since that round's harvest: what the next round, or the pause,
   *     would send
   * @param previousDirtyBytes {@code dirtyBytes} at the previous decision, or {@link
   *     #NO_PREVIOUS_ROUND} after round 0
   * @param bandwidth the estimate from {@link #estimateBandwidth}, bytes per second
   * @param roundNanos how long the round just acknowledged took (0: not measured)
   * @param throttlePercent the VM's throttle now
   * @param elapsedMillis since the migration started
   */
  public record Progress(int round, long dirtyBytes, long previousDirtyBytes, double bandwidth, long roundNanos,
      int throttlePercent, long elapsedMillis) {
    public static final long NO_PREVIOUS_ROUND = -1;

    /** How long the pause would take if it began now: the dirty bytes at the estimated bandwidth. */
    public long expectedDowntimeMillis() {
      return (long) (dirtyBytes * 1000.0 / Math.max(1, bandwidth));
    }

    /** Pages dirtied per second while the last round was sent (0 before any round was timed). */
    public double dirtyPagesPerSecond() {
      return roundNanos == 0 ? 0 : dirtyBytes / (double) Frames.PAGE * 1e9 / roundNanos;
    }

    boolean shrank() {
      return previousDirtyBytes == NO_PREVIOUS_ROUND || dirtyBytes < previousDirtyBytes * SHRINK_FACTOR;
    }
  }

  /** What the source does next. */
  public sealed interface Decision permits AnotherRound, RaiseThrottle, SwitchOver, GiveUp {}

  /** Send the pages dirtied since the last round, throttle unchanged. */
  public record AnotherRound() implements Decision {}

  /** Throttle the VM to {@code percent}, then send another round. */
  public record RaiseThrottle(int percent) implements Decision {}

  /** Pause the VM and send the rest: it is expected to take {@code expectedDowntimeMillis}. */
  public record SwitchOver(long expectedDowntimeMillis) implements Decision {}

  /** Stop the migration; the VM keeps running on the source. {@code reason} is one line for the user. */
  public record GiveUp(String reason) implements Decision {}

  public Decision decide(Progress p) {
    if (p.elapsedMillis() > params.maxTotalMillis()) {
      return new GiveUp("did not finish within the maximum total time of " + params.maxTotalMillis() / 1000 + " s");
    }
    long expected = p.expectedDowntimeMillis();
    if (expected <= params.downtimeLimitMillis()) {
      return new SwitchOver(expected);
    }
    if (params.autoConverge()) {
      if (!p.shrank() && p.throttlePercent() < MAX_THROTTLE_PERCENT) {
        return new RaiseThrottle(p.throttlePercent() == 0 ? FIRST_THROTTLE_PERCENT
            : Math.min(MAX_THROTTLE_PERCENT, p.throttlePercent() + THROTTLE_STEP_PERCENT));
      }
      return new AnotherRound();
    }
    if (p.round() + 1 >= MigrationParams.MAX_ROUNDS_WITHOUT_AUTO_CONVERGE) {
      return new GiveUp(String.format(Locale.ROOT,
          "did not converge: the VM dirties %.0f MB/s and the link carries %.0f MB/s; enable auto-converge or raise"
              + " the downtime limit", p.dirtyPagesPerSecond() * Frames.PAGE / 1e6, p.bandwidth() / 1e6));
    }
    return new AnotherRound();
  }

  /**
   * The bandwidth estimate after a round that sent {@code roundBytes} of page data in {@code
   * roundNanos} (until its acknowledgement): a round of at least {@link
   * #MIN_BYTES_TO_LOWER_ESTIMATE} sets it, a shorter one only raises it; never above the
   * migration's bandwidth limit, which also paces the pause.
   *
   * @param estimate the estimate before the round, {@link #NO_ESTIMATE} before the first
   */
  public double estimateBandwidth(double estimate, long roundBytes, long roundNanos) {
    double measured = roundBytes * 1e9 / Math.max(1, roundNanos);
    if (params.maxBandwidthBytesPerSecond() > 0) {
      measured = Math.min(measured, params.maxBandwidthBytesPerSecond());
    }
    return roundBytes >= MIN_BYTES_TO_LOWER_ESTIMATE ? measured : Math.max(estimate, measured);
  }
}
