package io.roam.chaos;

import io.roam.agent.guest.programs.KvReplay;
import io.roam.chaos.Op.Type;
import io.roam.common.Json;
import io.roam.common.kv.KvClient;
import io.roam.common.model.OwnerRecord;
import io.roam.it.LocalCluster;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * A chaos run: the cluster, the kv VMs and their clients, an operator migrating, and then rounds of
 * one seeded fault each; after every round the cluster settles (every VM serving, exactly one
 * process each, or a bound passes) and the invariants are checked from evidence (history, step
 * witness, processes, write-ahead logs). Run: {@code ./roam chaos [--rounds N] [--seed S]
 * [--minutes M]}; exits non-zero on any violation.
 */
public final class ChaosRun {
  public static final int VMS = 3;
  /** How long the harness waits for every VM to serve again (and run once) before it says so. */
  static final Duration SETTLE_BOUND = Duration.ofSeconds(180);
  /**
   * How long the harness waits for a half-done migration to resolve to one process per VM (a
   * prepared destination whose source never connects is discarded after 120 s).
   */
  static final Duration ONE_PROCESS_BOUND = Duration.ofSeconds(150);

  /** What to run. */
  public record Options(int rounds, long seed, double minutes, Path dir, Path results) {}

  private final Options options;

  public ChaosRun(Options options) {
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    int rounds = 20;
    long seed = System.currentTimeMillis();
    double minutes = 0;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--rounds" -> rounds = Integer.parseInt(need(a, v));
        case "--seed" -> seed = Long.parseLong(need(a, v));
        case "--minutes" -> minutes = Double.parseDouble(need(a, v));
        default -> {
          System.err.println("roam chaos: unknown option " + a + " (options: --rounds N, --seed S, --minutes M)");
          System.exit(2);
        }
      }
      i++;
    }
    Path dir = Files.createTempDirectory("roam-chaos");
    ChaosReport report = new ChaosRun(new Options(rounds, seed, minutes, dir, Path.of("bench-results"))).run();
    System.exit(report.violations().isEmpty() ? 0 : 1);
  }

  private static String need(String option, String value) {
    if (value == null) {
      System.err.println("roam chaos: " + option + " needs a value");
      System.exit(2);
    }
    return value;
  }

  /** Runs the rounds, prints the table, writes CSV and JSON; returns the report. */
  public ChaosReport run() throws Exception {
    long stopAt = options.minutes() > 0 ? System.nanoTime() + (long) (options.minutes() * 60e9) : Long.MAX_VALUE;
    System.out.printf("roam chaos: seed %d, %d round(s)%s, in %s%n", options.seed(), options.rounds(),
        options.minutes() > 0 ? " or " + options.minutes() + " minute(s)" : "", options.dir());
    try (ChaosCluster cluster = ChaosCluster.start(options.dir())) {
      System.out.println("roam chaos: agents on " + cluster.networkMode());
      ChaosReport report = new ChaosReport(options.seed(), cluster.networkMode());
      List<String> vms = new ArrayList<>();
      for (int i = 0; i < VMS; i++) {
        String vm = "kv" + i;
        LocalCluster.ok(cluster.local.ctl("vm", "create", vm, "--program", "kv", "--arg", "disk=on", "--memory", "32MiB",
            "--host", cluster.hosts().get(i % 2), "--start"));
        vms.add(vm);
      }
      History history = new History();
      Random random = new Random(options.seed());
      FaultInjector faults = new FaultInjector(cluster, vms);
      Set<String> seen = new HashSet<>();
      try (Workload workload = new Workload(vms, cluster::endpoint, history, options.seed());
          OperatorMigrations operator = new OperatorMigrations(cluster, vms, options.seed())) {
        workload.start();
        operator.start();
        Thread.sleep(5_000); // some history before the first fault
        for (int round = 1; round <= options.rounds() && System.nanoTime() < stopAt; round++) {
          FaultPlan plan = FaultPlan.draw(round, random, cluster.hosts(), vms.size());
          System.out.printf("round %d: %s%n", round, plan.describe());
          long t0 = System.nanoTime();
          String note;
          try {
            note = faults.inject(plan);
          } catch (Exception e) {
            note = "injection failed: " + e;
          }
          String restarted = faults.heal();
          long serveAgainMs = awaitServing(cluster, vms, t0);
          List<Violation> found = new ArrayList<>();
          if (serveAgainMs < 0) {
            found.add(notServing(cluster, vms));
          }
          operator.pause();
          workload.pause();
          try {
            awaitOneProcessEach(cluster, vms);
            for (Violation v : check(cluster, vms, history)) {
              if (seen.add(v.key())) {
                found.add(v);
              }
            }
          } finally {
            workload.resume();
            operator.resume();
          }
          String full = note + (restarted.isEmpty() ? "" : (note.isEmpty() ? "" : "; ") + "restarted " + restarted);
          System.out.printf("round %d: %s; serving again after %s; %d violation(s)%s%n", round,
              full.isEmpty() ? "done" : full, serveAgainMs < 0 ? "(not within " + SETTLE_BOUND.toSeconds() + " s)" : serveAgainMs + " ms",
              found.size(), found.isEmpty() ? "" : ":");
          found.forEach(v -> System.out.println("  " + v));
          report.add(new ChaosReport.Round(plan, full, serveAgainMs, found));
        }
        System.out.printf("roam chaos: %d requests recorded, operator migrations %d started / %d completed%n",
            history.size(), operator.started(), operator.completed());
      }
      report.print();
      report.write(options.results());
      return report;
    }
  }

  /** Waits until every VM answers PING at its published endpoint; ms since {@code t0}, or -1. */
  static long awaitServing(ChaosCluster cluster, List<String> vms, long t0) throws InterruptedException {
    long deadline = System.nanoTime() + SETTLE_BOUND.toNanos();
    while (System.nanoTime() < deadline) {
      if (vms.stream().allMatch(vm -> ping(cluster.endpoint(vm)))) {
        return (System.nanoTime() - t0) / 1_000_000;
      }
      Thread.sleep(200);
    }
    return -1;
  }

  static boolean ping(String endpoint) {
    if (endpoint == null || endpoint.lastIndexOf(':') <= 0) {
      return false;
    }
    int colon = endpoint.lastIndexOf(':');
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1))), 1000);
      s.setSoTimeout(2000);
      s.getOutputStream().write("PING\n".getBytes(StandardCharsets.UTF_8));
      return "PONG".equals(new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine());
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static Violation notServing(ChaosCluster cluster, List<String> vms) {
    StringBuilder sb = new StringBuilder();
    for (String vm : vms) {
      sb.append(vm).append(": endpoint ").append(cluster.endpoint(vm)).append(" owner ").append(cluster.owner(vm))
          .append(ping(cluster.endpoint(vm)) ? " serving" : " not serving").append("; ");
    }
    return new Violation("not-serving-again", "cluster", "within " + SETTLE_BOUND.toSeconds() + " s: " + sb);
  }

  /**
   * Waits (up to the bound) until every VM has exactly one process and it is on the host its owner
   * record names: no migration half done. "One process" alone can hold for a moment with the wrong
   * one (a crashed source's copy reaped, a destination still waiting, HA about to start the VM again
   * at its owner), and the check that follows would then find two.
   */
  static void awaitOneProcessEach(ChaosCluster cluster, List<String> vms) throws InterruptedException {
    long deadline = System.nanoTime() + ONE_PROCESS_BOUND.toNanos();
    while (System.nanoTime() < deadline && !settled(cluster, vms)) {
      Thread.sleep(250);
    }
  }

  private static boolean settled(ChaosCluster cluster, List<String> vms) {
    Map<String, List<VmProcesses.VmProcess>> scan = VmProcesses.scan(cluster.local.memoryDir);
    if (!VmProcesses.check(vms, scan).isEmpty()) {
      return false;
    }
    for (String vm : vms) {
      try {
        OwnerRecord owner = Json.read(cluster.owner(vm).getBytes(StandardCharsets.UTF_8), OwnerRecord.class);
        if (!owner.host().equals(scan.get(vm).get(0).host())) {
          return false;
        }
      } catch (RuntimeException unreadable) {
        return false;
      }
    }
    return true;
  }

  /**
   * Every check, with the clients paused: the harness reads every key back (into the history, as
   * client -1-vm), then checks the history, the step witness, the processes, and each VM's log
   * replayed against the live table.
   */
  static List<Violation> check(ChaosCluster cluster, List<String> vms, History history) throws IOException {
    List<Violation> out = new ArrayList<>();
    for (int i = 0; i < vms.size(); i++) {
      String vm = vms.get(i);
      Map<String, String> replay = KvReplay.table(cluster.local.datastore().resolve("vms").resolve(vm));
      Set<String> keys = new LinkedHashSet<>(Workload.keysOf(i));
      keys.addAll(new TreeSet<>(replay.keySet()));
      try (KvClient kv = new KvClient(() -> cluster.endpoint(vm), Duration.ofSeconds(30))) {
        for (String key : keys) {
          String[] live = new String[1];
          boolean[] answered = new boolean[1];
          Workload.record(history, -1 - i, vm, Type.GET, key, 0, () -> {
            Optional<String> v = kv.get(key);
            live[0] = v.orElse(null);
            answered[0] = true;
            return v.map(ChaosRun::number).orElse(0L);
          });
          if (!answered[0]) {
            out.add(new Violation("unreadable", vm, "the harness could not read " + key + " (owner " + cluster.owner(vm) + ")"));
          } else if (!java.util.Objects.equals(live[0], replay.get(key))) {
            out.add(new Violation("wal-replay-differs", vm, "key " + key + ": the log replays to " + replay.get(key)
                + " but the live table holds " + live[0]));
          }
        }
      }
    }
    out.addAll(HistoryChecker.check(history.snapshot()));
    out.addAll(WitnessChecker.check(cluster.local.datastore()));
    // Reading every key back takes seconds, and DRS keeps migrating meanwhile (the chaos cluster
    // balances eagerly): a scan now may catch a migration's destination waiting beside its source,
    // which is one running copy, not two (the step witness above proves what ran). So the process
    // check is "settles to one", with the same bound as before the round's checks: a copy that stays
    // beside the owner's (an orphan) is still a violation.
    try {
      awaitOneProcessEach(cluster, vms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    out.addAll(VmProcesses.check(vms, VmProcesses.scan(cluster.local.memoryDir)));
    return out;
  }

  private static long number(String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
