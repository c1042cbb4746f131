package io.roam.master.sim;

import java.util.List;

/**
 * What a simulated run measured.
 *
 * @param imbalance (time ms, imbalance, hosts powered on, total demand in cores) at each pass
 * @param pingPongs moves that took a VM back to the host it left on its previous move within an hour
 * @param hostHoursOn host-hours powered on (waking and being emptied count as on)
 * @param hostHoursAlwaysOn host-hours with every host on for the whole run
 * @param overloadMinutes minutes in which total demand exceeded the cores of connected hosts
 * @param longestOverloadMinutes the longest such stretch
 */
public record SimReport(String name, List<double[]> imbalance, int migrations, int pingPongs, double hostHoursOn,
    double hostHoursAlwaysOn, double overloadMinutes, double longestOverloadMinutes, int powerOns, int powerOffs,
    double meanImbalance, double maxImbalanceAfterFirstHour) {

  public double savedShare() {
    return 1 - hostHoursOn / hostHoursAlwaysOn;
  }
}
