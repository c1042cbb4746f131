package io.roam.master.sim;

import java.util.Random;

/** CPU demand of each simulated VM over simulated time: deterministic for a seed. */
public interface DemandTrace {
  /** Demand of VM {@code vm} at {@code tMs}, in cores (never negative). */
  double demand(int vm, long tMs);

  long DAY_MS = 24 * 3_600_000L;

  /**
   * A day/night curve: each VM's demand swings between {@code troughShare} of its peak (at
   * midnight) and its peak (at noon), plus Gaussian noise of {@code noise} × its peak.
   */
  static DemandTrace dayNight(double[] peaks, double troughShare, double noise, long seed) {
    return new Noisy(peaks, noise, seed) {
      @Override
      double shape(long tMs) {
        double day = 0.5 - 0.5 * Math.cos(2 * Math.PI * (tMs % DAY_MS) / DAY_MS);
        return troughShare + (1 - troughShare) * day;
      }
    };
  }

  /** Constant demand per VM plus noise. */
  static DemandTrace steady(double[] levels, double noise, long seed) {
    return new Noisy(levels, noise, seed) {
      @Override
      double shape(long tMs) {
        return 1;
      }
    };
  }

  /** Shared by the traces: the noise of a sample depends only on (seed, vm, time), not on call order. */
  abstract class Noisy implements DemandTrace {
    private final double[] peaks;
    private final double noise;
    private final long seed;

    Noisy(double[] peaks, double noise, long seed) {
      this.peaks = peaks.clone();
      this.noise = noise;
      this.seed = seed;
    }

    abstract double shape(long tMs);

    @Override
    public double demand(int vm, long tMs) {
      double g = new Random(seed * 1_000_003L + vm * 7_919L + tMs / 1000).nextGaussian();
      return Math.max(0, peaks[vm] * (shape(tMs) + noise * g));
    }
  }
}
