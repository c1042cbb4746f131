package io.roam.master.drs;

import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostView;
import io.roam.master.drs.model.VmView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A planner's working copy of where VMs are and how loaded each host is. Moves applied here change
 * nothing outside; the imbalance and the effect of a candidate move are computed in O(1) from
 * running sums, which is what lets one pass over 10,000 VMs finish well within a second.
 *
 * <p>Host load is CPU demand / cores. Imbalance is the standard deviation of the loads of the
 * hosts that take VMs; hosts being emptied or powered off are not part of it.
 */
final class LoadState {
  final HostView[] hosts;
  final VmView[] vms;
  final Map<String, Integer> hostIndex = new HashMap<>();
  final Map<String, Integer> vmIndex = new HashMap<>();
  /** Host index of each VM, or -1 when its host is unknown to the snapshot. */
  final int[] vmHost;
  final double[] demand;
  final long[] memoryUsed;
  final List<List<Integer>> vmsOn = new ArrayList<>();
  private final boolean[] counted;
  private int countedHosts;
  private double sumLoad;
  private double sumSquares;

  LoadState(ClusterSnapshot snapshot) {
    hosts = snapshot.hosts().toArray(new HostView[0]);
    vms = snapshot.vms().toArray(new VmView[0]);
    demand = new double[hosts.length];
    memoryUsed = new long[hosts.length];
    counted = new boolean[hosts.length];
    vmHost = new int[vms.length];
    for (int h = 0; h < hosts.length; h++) {
      hostIndex.put(hosts[h].name(), h);
      vmsOn.add(new ArrayList<>());
    }
    for (int v = 0; v < vms.length; v++) {
      vmIndex.put(vms[v].name(), v);
      Integer h = hostIndex.get(vms[v].host());
      vmHost[v] = h == null ? -1 : h;
      if (h != null) {
        demand[h] += vms[v].cpuDemand();
        memoryUsed[h] += vms[v].memoryBytes();
        vmsOn.get(h).add(v);
      }
    }
    for (int h = 0; h < hosts.length; h++) {
      if (hosts[h].mode().takesVms()) {
        counted[h] = true;
        countedHosts++;
        double l = load(h);
        sumLoad += l;
        sumSquares += l * l;
      }
    }
  }

  double load(int h) {
    return demand[h] / hosts[h].cores();
  }

  long memoryFree(int h) {
    return hosts[h].memoryBytes() - memoryUsed[h];
  }

  /** The load of each host that takes VMs, by name (what {@link #imbalance} is the deviation of). */
  Map<String, Double> loadsOfHostsTakingVms() {
    Map<String, Double> loads = new java.util.TreeMap<>();
    for (int h = 0; h < hosts.length; h++) {
      if (counted[h]) {
        loads.put(hosts[h].name(), load(h));
      }
    }
    return loads;
  }

  /** Standard deviation of the loads of the hosts that take VMs. */
  double imbalance() {
    if (countedHosts == 0) {
      return 0;
    }
    double mean = sumLoad / countedHosts;
    return Math.sqrt(Math.max(0, sumSquares / countedHosts - mean * mean));
  }

  /**
   * How much moving {@code cpu} cores of demand from host {@code from} to host {@code to} would
   * lower the sum of squared deviations from the mean load (n times the variance); negative when
   * it would raise it. The mean only changes when a host outside the imbalance is involved;
   * {@code from} is -1 for demand that comes from nowhere (a new VM).
   */
  double gain(int from, int to, double cpu) {
    double before = deviationSum(sumLoad, sumSquares, countedHosts);
    double sl = sumLoad;
    double sq = sumSquares;
    if (from >= 0 && counted[from]) {
      double l = load(from);
      double n = l - cpu / hosts[from].cores();
      sl += n - l;
      sq += n * n - l * l;
    }
    if (counted[to]) {
      double l = load(to);
      double n = l + cpu / hosts[to].cores();
      sl += n - l;
      sq += n * n - l * l;
    }
    return before - deviationSum(sl, sq, countedHosts);
  }

  /** The imbalance after such a move. */
  double imbalanceAfter(int from, int to, double cpu) {
    double dev = deviationSum(sumLoad, sumSquares, countedHosts) - gain(from, to, cpu);
    return countedHosts == 0 ? 0 : Math.sqrt(Math.max(0, dev / countedHosts));
  }

  private static double deviationSum(double sum, double squares, int n) {
    return n == 0 ? 0 : squares - sum * sum / n;
  }

  /** Applies a move of VM {@code v} to host {@code to} (from nowhere when its host is unknown). */
  void move(int v, int to) {
    int from = vmHost[v];
    double cpu = vms[v].cpuDemand();
    if (from >= 0) {
      shift(from, -cpu);
      memoryUsed[from] -= vms[v].memoryBytes();
      vmsOn.get(from).remove(Integer.valueOf(v));
    }
    shift(to, cpu);
    memoryUsed[to] += vms[v].memoryBytes();
    vmsOn.get(to).add(v);
    vmHost[v] = to;
  }

  /** Adds a VM that is not in the snapshot (a new VM being placed) to host {@code to}. */
  void add(double cpu, long memory, int to) {
    shift(to, cpu);
    memoryUsed[to] += memory;
  }

  private void shift(int h, double cpu) {
    if (counted[h]) {
      double l = load(h);
      demand[h] += cpu;
      double n = load(h);
      sumLoad += n - l;
      sumSquares += n * n - l * l;
    } else {
      demand[h] += cpu;
    }
  }
}
