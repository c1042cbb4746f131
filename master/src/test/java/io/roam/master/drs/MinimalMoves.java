package io.roam.master.drs;

import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.VmView;
import java.util.List;

/**
 * The fewest VM moves that bring a small cluster to a target imbalance, by trying every
 * assignment of VMs to hosts (hosts^VMs of them: keep it small). Ignores memory and rules.
 */
final class MinimalMoves {
  private MinimalMoves() {}

  static int search(ClusterSnapshot s, double target) {
    int hosts = s.hosts().size();
    List<VmView> vms = s.vms();
    int n = vms.size();
    double[] cores = s.hosts().stream().mapToDouble(h -> h.cores()).toArray();
    int[] home = new int[n];
    double[] cpu = new double[n];
    for (int i = 0; i < n; i++) {
      String h = vms.get(i).host();
      for (int j = 0; j < hosts; j++) {
        if (s.hosts().get(j).name().equals(h)) {
          home[i] = j;
        }
      }
      cpu[i] = vms.get(i).cpuDemand();
    }
    long total = (long) Math.pow(hosts, n);
    int best = Integer.MAX_VALUE;
    int[] at = new int[n];
    double[] demand = new double[hosts];
    for (long code = 0; code < total; code++) {
      long c = code;
      int moved = 0;
      java.util.Arrays.fill(demand, 0);
      for (int i = 0; i < n; i++) {
        at[i] = (int) (c % hosts);
        c /= hosts;
        demand[at[i]] += cpu[i];
        if (at[i] != home[i]) {
          moved++;
        }
      }
      if (moved >= best) {
        continue;
      }
      double sum = 0;
      double sq = 0;
      for (int j = 0; j < hosts; j++) {
        double l = demand[j] / cores[j];
        sum += l;
        sq += l * l;
      }
      double mean = sum / hosts;
      if (Math.sqrt(Math.max(0, sq / hosts - mean * mean)) <= target) {
        best = moved;
      }
    }
    return best;
  }
}
