package io.roam.master.sim;

import io.roam.master.dpm.DemandHistory;
import io.roam.master.dpm.DpmPlan;
import io.roam.master.dpm.DpmPlanner;
import io.roam.master.dpm.PowerAction;
import io.roam.master.drs.DrsPlan;
import io.roam.master.drs.DrsPlanner;
import io.roam.master.drs.Move;
import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostMode;
import io.roam.master.drs.model.HostView;
import io.roam.master.drs.model.VmView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the real DRS and DPM planners against simulated hosts and VMs on a fake clock: hours in
 * seconds, the same result for the same configuration. Migrations complete at once; a woken host
 * takes VMs after {@code bootMs}; a host being emptied for standby powers off when it is empty.
 * DRS sees each VM's demand averaged over the last pass interval, as the leader does.
 */
public final class Simulator {
  private static final long PING_PONG_WINDOW_MS = 3_600_000;

  private final SimConfig c;
  private final HostMode[] mode;
  private final long[] wakeAt;
  private final String[] hostOf;
  private final long[] lastMovedAt;
  private final String[] previousHost;
  private final double[][] recent; // per VM, ring of the last samples
  private int ringPos;
  private int ringFill;
  private DemandHistory history = DemandHistory.empty();

  private Simulator(SimConfig c) {
    this.c = c;
    mode = new HostMode[c.hosts()];
    Arrays.fill(mode, HostMode.CONNECTED);
    wakeAt = new long[c.hosts()];
    hostOf = new String[c.vms()];
    lastMovedAt = new long[c.vms()];
    previousHost = new String[c.vms()];
    Arrays.fill(lastMovedAt, -1);
    for (int v = 0; v < c.vms(); v++) {
      hostOf[v] = hostName(v % c.hosts()); // round robin, as VMs were created over time
    }
    recent = new double[c.vms()][(int) Math.max(1, c.passMs() / c.stepMs())];
  }

  public static SimReport run(SimConfig c) {
    return new Simulator(c).run();
  }

  private static String hostName(int h) {
    return String.format("h%03d", h);
  }

  private SimReport run() {
    List<double[]> imbalance = new ArrayList<>();
    int migrations = 0;
    int pingPongs = 0;
    int powerOns = 0;
    int powerOffs = 0;
    double hostMinutesOn = 0;
    double overloadMinutes = 0;
    double stretch = 0;
    double longest = 0;
    double stepMinutes = c.stepMs() / 60_000.0;
    long keep = c.dpm() == null ? c.passMs() : c.dpm().historyToKeepMs();
    for (long t = 0; t < c.durationMs(); t += c.stepMs()) {
      // Hosts change state first: a woken host finishes booting, an emptied one powers off.
      for (int h = 0; h < c.hosts(); h++) {
        if (mode[h] == HostMode.WAKING && t >= wakeAt[h]) {
          mode[h] = HostMode.CONNECTED;
        } else if (mode[h] == HostMode.ENTERING_STANDBY && vmsOn(h) == 0) {
          mode[h] = HostMode.STANDBY;
        }
      }
      double total = 0;
      for (int v = 0; v < c.vms(); v++) {
        double d = c.trace().demand(v, t);
        recent[v][ringPos] = d;
        total += d;
      }
      ringPos = (ringPos + 1) % recent[0].length;
      ringFill = Math.min(ringFill + 1, recent[0].length);
      history = history.with(t, total, keep);
      double connectedCores = 0;
      for (int h = 0; h < c.hosts(); h++) {
        if (mode[h].poweredOn()) {
          hostMinutesOn += stepMinutes;
        }
        if (mode[h] == HostMode.CONNECTED || mode[h] == HostMode.ENTERING_STANDBY) {
          connectedCores += c.coresPerHost();
        }
      }
      if (total > connectedCores) {
        overloadMinutes += stepMinutes;
        stretch += stepMinutes;
        longest = Math.max(longest, stretch);
      } else {
        stretch = 0;
      }
      if (t % c.passMs() != 0 || t == 0) {
        continue;
      }
      ClusterSnapshot snapshot = snapshot(t);
      DrsPlan plan = DrsPlanner.plan(snapshot, c.drs());
      for (Move m : plan.moves()) {
        if (!m.automatic()) {
          continue;
        }
        int v = Integer.parseInt(m.vm().substring(2));
        if (m.to().equals(previousHost[v]) && t - lastMovedAt[v] < PING_PONG_WINDOW_MS) {
          pingPongs++;
        }
        previousHost[v] = hostOf[v];
        hostOf[v] = m.to();
        lastMovedAt[v] = t;
        migrations++;
      }
      imbalance.add(new double[] {t, actualImbalance(), poweredOn(), total});
      if (c.dpm() != null) {
        DpmPlan power = DpmPlanner.plan(snapshot(t), history, c.dpm(), Set.of());
        for (PowerAction a : power.actions()) {
          int h = Integer.parseInt(a.host().substring(1));
          if (a.kind() == PowerAction.Kind.POWER_OFF) {
            mode[h] = HostMode.ENTERING_STANDBY;
            powerOffs++;
          } else if (mode[h] == HostMode.ENTERING_STANDBY) {
            mode[h] = HostMode.CONNECTED;
          } else {
            mode[h] = HostMode.WAKING;
            wakeAt[h] = t + c.bootMs();
            powerOns++;
          }
        }
      }
    }
    double mean = imbalance.stream().mapToDouble(x -> x[1]).average().orElse(0);
    double maxLater = imbalance.stream().filter(x -> x[0] >= 3_600_000).mapToDouble(x -> x[1]).max().orElse(0);
    return new SimReport(c.name(), imbalance, migrations, pingPongs, hostMinutesOn / 60,
        c.hosts() * (c.durationMs() / 3_600_000.0), overloadMinutes, longest, powerOns, powerOffs, mean, maxLater);
  }

  private int poweredOn() {
    int n = 0;
    for (HostMode m : mode) {
      n += m.poweredOn() ? 1 : 0;
    }
    return n;
  }

  private int vmsOn(int h) {
    String name = hostName(h);
    int n = 0;
    for (String s : hostOf) {
      if (s.equals(name)) {
        n++;
      }
    }
    return n;
  }

  private ClusterSnapshot snapshot(long t) {
    List<HostView> hosts = new ArrayList<>();
    for (int h = 0; h < c.hosts(); h++) {
      hosts.add(new HostView(hostName(h), c.coresPerHost(), c.hostMemory(), mode[h]));
    }
    List<VmView> vms = new ArrayList<>();
    for (int v = 0; v < c.vms(); v++) {
      double sum = 0;
      for (int i = 0; i < ringFill; i++) {
        sum += recent[v][i];
      }
      vms.add(new VmView("vm" + v, hostOf[v], sum / Math.max(1, ringFill), c.vmMemory(), c.vmMemory() / 16,
          lastMovedAt[v]));
    }
    return new ClusterSnapshot(t, hosts, vms, List.of(), List.of());
  }

  /** Imbalance of the current, not averaged, demand over the hosts that take VMs. */
  private double actualImbalance() {
    Map<String, Double> demand = new HashMap<>();
    for (int v = 0; v < c.vms(); v++) {
      demand.merge(hostOf[v], recent[v][(ringPos + recent[v].length - 1) % recent[v].length], Double::sum);
    }
    double sum = 0;
    double sq = 0;
    int n = 0;
    for (int h = 0; h < c.hosts(); h++) {
      if (mode[h].takesVms()) {
        double l = demand.getOrDefault(hostName(h), 0.0) / c.coresPerHost();
        sum += l;
        sq += l * l;
        n++;
      }
    }
    double m = n == 0 ? 0 : sum / n;
    return n == 0 ? 0 : Math.sqrt(Math.max(0, sq / n - m * m));
  }
}
