package io.roam.master.sim;

import io.roam.master.dpm.DpmSettings;
import io.roam.master.drs.DrsSettings;
import java.util.Random;

/** The simulated clusters the README quotes; the simulator tests run the same ones. */
public final class Scenarios {
  private static final long GIB = 1L << 30;
  private static final long MINUTE = 60_000;

  private Scenarios() {}

  private static double[] peaks(int vms, double min, double max, long seed) {
    Random r = new Random(seed);
    double[] p = new double[vms];
    for (int i = 0; i < vms; i++) {
      p[i] = min + r.nextDouble() * (max - min);
    }
    return p;
  }

  /** 16 hosts of 8 cores, 64 VMs of steady demand with 10 % noise, DRS only, 24 h. */
  public static SimConfig steady(long seed) {
    return new SimConfig("steady 24 h (noise 10 %) DRS only", 16, 8, 128 * GIB, 64, 4 * GIB,
        DemandTrace.steady(peaks(64, 0.2, 2.0, seed), 0.10, seed), DemandTrace.DAY_MS, MINUTE, 5 * MINUTE,
        3 * MINUTE, DrsSettings.defaults(), null);
  }

  /** The same cluster on a day/night curve (night at 15 % of the peak), DRS and DPM automatic. */
  public static SimConfig dayNight(long seed) {
    return new SimConfig("day/night 24 h DRS + DPM", 16, 8, 128 * GIB, 64, 4 * GIB,
        DemandTrace.dayNight(peaks(64, 0.4, 2.0, seed), 0.15, 0.10, seed), DemandTrace.DAY_MS, MINUTE, 5 * MINUTE,
        3 * MINUTE, DrsSettings.defaults(), DpmSettings.defaults());
  }
}
