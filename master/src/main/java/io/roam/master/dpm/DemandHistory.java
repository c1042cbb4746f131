package io.roam.master.dpm;

import java.util.ArrayList;
import java.util.List;

/**
 * The cluster's total CPU demand (cores) over time, as DPM reads it: over a window, the mean plus
 * two standard deviations (as vSphere), so a noisy load counts near its peaks. Immutable; {@link
 * #with} returns a copy that also drops samples older than {@code keepMs}.
 */
public final class DemandHistory {
  public record Sample(long timeMs, double cores) {}

  private final List<Sample> samples;

  private DemandHistory(List<Sample> samples) {
    this.samples = List.copyOf(samples);
  }

  public static DemandHistory empty() {
    return new DemandHistory(List.of());
  }

  public DemandHistory with(long timeMs, double cores, long keepMs) {
    List<Sample> next = new ArrayList<>(samples.size() + 1);
    for (Sample s : samples) {
      if (timeMs - s.timeMs() <= keepMs) {
        next.add(s);
      }
    }
    next.add(new Sample(timeMs, cores));
    return new DemandHistory(next);
  }

  /** Mean + 2σ of the samples in the last {@code windowMs} before {@code nowMs}; NaN when none. */
  public double estimate(long nowMs, long windowMs) {
    double sum = 0;
    double sq = 0;
    int n = 0;
    for (Sample s : samples) {
      if (nowMs - s.timeMs() <= windowMs) {
        sum += s.cores();
        sq += s.cores() * s.cores();
        n++;
      }
    }
    if (n == 0) {
      return Double.NaN;
    }
    double mean = sum / n;
    return mean + 2 * Math.sqrt(Math.max(0, sq / n - mean * mean));
  }

  /** How long the history reaches back from {@code nowMs}. */
  public long spanMs(long nowMs) {
    return samples.isEmpty() ? 0 : nowMs - samples.get(0).timeMs();
  }
}
