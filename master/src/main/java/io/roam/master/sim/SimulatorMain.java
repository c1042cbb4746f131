package io.roam.master.sim;

import io.roam.common.Json;
import io.roam.master.drs.DrsPlan;
import io.roam.master.drs.DrsPlanner;
import io.roam.master.drs.DrsSettings;
import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostMode;
import io.roam.master.drs.model.HostView;
import io.roam.master.drs.model.VmView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code ./roam bench sim [outDir]}: runs the simulated scenarios and times one DRS pass over
 * 1,000 hosts and 10,000 VMs; prints tables and writes sim.csv, sim-imbalance.csv, sim.json and a chart per
 * scenario (sim-SCENARIO.svg: imbalance, hosts on and demand over time).
 */
public final class SimulatorMain {
  private SimulatorMain() {}

  public static void main(String[] args) throws IOException {
    Path out = Path.of(args.length > 0 ? args[0] : "bench-results");
    Files.createDirectories(out);
    long seed = 42;
    List<SimReport> reports = List.of(Simulator.run(Scenarios.steady(seed)), Simulator.run(Scenarios.dayNight(seed)));
    System.out.println();
    System.out.printf(Locale.ROOT, "%-36s %10s %10s %10s %10s %9s %9s %9s %9s%n", "scenario", "migrations",
        "ping-pong", "imb mean", "imb max*", "host-h", "always-on", "saved", "overload");
    StringBuilder csv = new StringBuilder(
        "scenario,migrations,ping_pongs,imbalance_mean,imbalance_max_after_1h,host_hours_on,host_hours_always_on,"
            + "saved_share,overload_minutes,longest_overload_minutes,power_ons,power_offs\n");
    StringBuilder series = new StringBuilder("scenario,time_min,imbalance,hosts_on,demand_cores\n");
    List<Map<String, Object>> json = new ArrayList<>();
    for (SimReport r : reports) {
      System.out.printf(Locale.ROOT, "%-36s %10d %10d %10.3f %10.3f %9.1f %9.1f %8.1f%% %6.0f min (longest %.0f)%n",
          r.name(), r.migrations(), r.pingPongs(), r.meanImbalance(), r.maxImbalanceAfterFirstHour(), r.hostHoursOn(),
          r.hostHoursAlwaysOn(), 100 * r.savedShare(), r.overloadMinutes(), r.longestOverloadMinutes());
      csv.append(String.format(Locale.ROOT, "%s,%d,%d,%.4f,%.4f,%.2f,%.2f,%.4f,%.1f,%.1f,%d,%d%n", r.name(),
          r.migrations(), r.pingPongs(), r.meanImbalance(), r.maxImbalanceAfterFirstHour(), r.hostHoursOn(),
          r.hostHoursAlwaysOn(), r.savedShare(), r.overloadMinutes(), r.longestOverloadMinutes(), r.powerOns(),
          r.powerOffs()));
      r.imbalance().forEach(p -> series.append(String.format(Locale.ROOT, "%s,%.0f,%.4f,%.0f,%.2f%n", r.name(),
          p[0] / 60_000, p[1], p[2], p[3])));
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("scenario", r.name());
      j.put("migrations", r.migrations());
      j.put("pingPongs", r.pingPongs());
      j.put("imbalanceMean", r.meanImbalance());
      j.put("hostHoursOn", r.hostHoursOn());
      j.put("hostHoursAlwaysOn", r.hostHoursAlwaysOn());
      j.put("savedShare", r.savedShare());
      j.put("overloadMinutes", r.overloadMinutes());
      j.put("longestOverloadMinutes", r.longestOverloadMinutes());
      j.put("powerOns", r.powerOns());
      j.put("powerOffs", r.powerOffs());
      json.add(j);
    }
    System.out.println("(* imbalance max after the first hour; overload = demand above the cores of connected hosts)");

    System.out.println();
    System.out.printf(Locale.ROOT, "%-44s %10s %10s %8s%n", "DRS pass, 1,000 hosts x 10,000 VMs", "median ms",
        "max ms", "moves");
    for (int cap : new int[] {8, 100}) {
      ClusterSnapshot big = bigCluster(7);
      DrsSettings s = DrsSettings.defaults().withCaps(cap, cap);
      List<Double> times = new ArrayList<>();
      int moves = 0;
      for (int i = 0; i < 7; i++) {
        long t0 = System.nanoTime();
        DrsPlan p = DrsPlanner.plan(big, s);
        times.add((System.nanoTime() - t0) / 1e6);
        moves = p.moves().size();
      }
      List<Double> measured = new ArrayList<>(times.subList(2, times.size())); // the first runs warm the JIT
      measured.sort(null);
      String name = "cap " + cap + " moves per pass";
      System.out.printf(Locale.ROOT, "%-44s %10.1f %10.1f %8d%n", name, measured.get(measured.size() / 2),
          measured.get(measured.size() - 1), moves);
      csv.append(String.format(Locale.ROOT, "drs pass 1000x10000 %s,median_ms=%.1f,max_ms=%.1f,moves=%d%n", name,
          measured.get(measured.size() / 2), measured.get(measured.size() - 1), moves));
      json.add(Map.of("scenario", "drs pass 1000 hosts 10000 VMs, " + name, "medianMs", measured.get(measured.size() / 2),
          "maxMs", measured.get(measured.size() - 1), "moves", moves));
    }
    Files.writeString(out.resolve("sim.csv"), csv);
    Files.writeString(out.resolve("sim-imbalance.csv"), series);
    Files.write(out.resolve("sim.json"), Json.write(json));
    List<String> charts = new ArrayList<>();
    for (SimReport r : reports) {
      String file = "sim-" + r.name().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("-$", "")
          + ".svg";
      Files.writeString(out.resolve(file), chart(r).render());
      charts.add(file);
    }
    System.out.println("\nwrote " + out.resolve("sim.csv") + ", sim-imbalance.csv, sim.json, " + String.join(", ", charts));
  }

  /** A run over time: DRS's imbalance against its target, and DPM's hosts on against the demand. */
  static SvgChart chart(SimReport r) {
    List<double[]> imbalance = new ArrayList<>();
    List<double[]> hostsOn = new ArrayList<>();
    List<double[]> demand = new ArrayList<>();
    for (double[] p : r.imbalance()) {
      double hours = p[0] / 3_600_000;
      imbalance.add(new double[] {hours, p[1]});
      hostsOn.add(new double[] {hours, p[2]});
      demand.add(new double[] {hours, p[3]});
    }
    return new SvgChart(r.name(), "hours", List.of(
        new SvgChart.Panel("imbalance (std. dev. of normalized host load)",
            List.of(new SvgChart.Series("imbalance", "#c0392b", imbalance))),
        new SvgChart.Panel("hosts powered on / demand in cores",
            List.of(new SvgChart.Series("hosts on", "#2c7bb6", hostsOn),
                new SvgChart.Series("demand (cores)", "#7f7f7f", demand)))));
  }

  /** 1,000 hosts of 16 cores and 10,000 VMs placed at random (so DRS has work). */
  static ClusterSnapshot bigCluster(long seed) {
    Random r = new Random(seed);
    List<HostView> hosts = new ArrayList<>();
    for (int h = 0; h < 1000; h++) {
      hosts.add(new HostView("h" + h, 16, 256L << 30, HostMode.CONNECTED));
    }
    List<VmView> vms = new ArrayList<>();
    for (int v = 0; v < 10_000; v++) {
      int h = r.nextInt(1000);
      vms.add(new VmView("vm" + v, "h" + h, 0.2 + r.nextDouble() * 2.5, 4L << 30, 256L << 20, -1));
    }
    return new ClusterSnapshot(0, hosts, vms, List.of(), List.of());
  }
}
