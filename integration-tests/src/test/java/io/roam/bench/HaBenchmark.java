package io.roam.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roam.common.kv.KvClient;
import io.roam.it.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * HA, measured on real processes: the time from kill -9 of a host (agent and VM processes) to all
 * of its kv VMs answering again elsewhere, for 1, 5 and 20 VMs; and the time from kill -9 of the
 * leader master to a new leader serving a write. Median and max over several runs; every run also
 * checks that the keys written before the kill are still there (kv with its write-ahead log).
 * Prints a table, writes CSV to bench-results/. Run: {@code ./roam bench ha [--quick] [--vms N[,M...]]
 * [--pool-sizes A,B]}: with {@code --pool-sizes}, every host-failure scenario runs once per
 * pool given: a number is a fixed pool of that size (agent.vm-pool-size and agent.vm-pool-max both),
 * {@code advised} the defaults, where the leader advises each agent's pool from the VMs HA would
 * restart there (e.g. {@code 0,4,advised}, side by side in one run); the surviving agents' pools
 * are full (or settled on the advice) before the kill, as on hosts up for a while. The VMs are
 * followed through the leader's watch stream ({@link EndpointWatch}), not by polling listings.
 * {@code --hosts-only} leaves out the leader's failover.
 *
 * <p>Where the time goes ({@link Phases}), for the VM that served last, from wall-clock times on this
 * one machine: <b>detect</b> (kill to the leader seeing the session gone: session timeout, the
 * server's expiry tick, a monitor pass), <b>decide</b> (the failover delay, or fencing), <b>place</b>
 * (the pass that moves the owner record, the VM's queue), <b>boot</b> (a boot slot on the new host,
 * at most its cores at once; create and launch there, the VM's JVM up to its main), <b>replay</b> (kv's write-ahead log: fence, replay, snapshot),
 * <b>serve</b> (listening, the agent seeing it booted, the first answer to a client).
 */
public final class HaBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Row(String scenario, int runs, double medianMs, double maxMs, long lost, String note, double firstMs,
      Phases phases) {}

  /** Consecutive intervals of one VM's restart, in ms; they add up to its total. -1: not found. */
  record Phases(long detect, long decide, long place, long boot, long replay, long serve) {
    static final Phases NONE = new Phases(-1, -1, -1, -1, -1, -1);

    long[] values() {
      return new long[] {detect, decide, place, boot, replay, serve};
    }
  }

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    int runs = quick ? 1 : 3;
    LocalCluster.agentMemory = "2GiB";
    List<Row> rows = new ArrayList<>();
    // Without a power driver HA waits out the session and the VM leases; with one (the process
    // driver here) it fences the host and restarts as soon as the driver confirms it off.
    int[][] scenarios = quick ? new int[][] {{1, 0}, {5, 0}, {1, 1}}
        : new int[][] {{1, 0}, {5, 0}, {20, 0}, {1, 1}, {5, 1}, {20, 1}};
    // --vms N[,M...]: only the scenarios with N (M, ...) VMs, with and without a driver
    int only = Arrays.asList(args).indexOf("--vms");
    if (only >= 0) {
      List<int[]> chosen = new ArrayList<>();
      for (String n : args[only + 1].split(",")) {
        chosen.add(new int[] {Integer.parseInt(n), 0});
        chosen.add(new int[] {Integer.parseInt(n), 1});
      }
      scenarios = chosen.toArray(new int[0][]);
    }
    int poolArg = Arrays.asList(args).indexOf("--pool-sizes");
    // A number: a fixed pool of that size (agent.vm-pool-size = agent.vm-pool-max); "advised": the
    // defaults, the pool sized by the leader's advice. Without the flag: the defaults.
    List<String> poolSizes = poolArg < 0 ? List.of("advised") : Arrays.asList(args[poolArg + 1].split(","));
    for (int[] scenario : scenarios) {
      for (String poolSize : poolSizes) {
        boolean advised = poolSize.equals("advised");
        LocalCluster.agentOptions = advised ? List.of()
            : List.of("--vm-pool-size", Integer.valueOf(poolSize).toString(), "--vm-pool-max", poolSize);
        int vms = scenario[0];
        boolean fenced = scenario[1] == 1;
        List<Double> times = new ArrayList<>();
        List<Double> firsts = new ArrayList<>();
        List<Phases> phaseRuns = new ArrayList<>();
        long lost = 0;
        for (int r = 0; r < runs; r++) {
          Path dir = Files.createTempDirectory("roam-ha-bench");
          try (LocalCluster c = startCluster(dir)) {
            if (fenced) {
              c.definePowerDriver("host1");
              ctl(c, "host", "power-driver", "host1", "--name", "host1");
            }
            for (int i = 0; i < vms; i++) {
              ctl(c, "vm", "create", "kv" + i, "--program", "kv", "--arg", "disk=on", "--memory", "16MiB", "--host", "host1",
                  "--start");
              try (KvClient k = client(c, "kv" + i)) {
                k.put("before", "kill");
              }
            }
            // As on a host up for a while: the VMs' class data sharing archive exists (made once per machine).
            if (!LocalCluster.awaitVmClassDataArchive(Duration.ofSeconds(120))) {
              System.out.println("  (no class data sharing archive for VMs: they boot without one)");
            }
            if (advised) {
              awaitPoolsSettled(c);
            } else {
              awaitPools(c, Integer.parseInt(poolSize));
            }
            long t0;
            long killedAtWall;
            java.util.Map<String, Long> servedAtWall = new java.util.HashMap<>();
            // The VMs are followed as a client of the cluster would: by the leader's WatchEvents
            // stream, which pushes each VM's endpoint as its new host publishes it. No listing is
            // polled: a `vm ls` every few milliseconds made the master and this process take a
            // third of the two cores that the restarts need. A VM counts as serving at the first
            // answer from its new endpoint to a question for the key it held, so the VMs are
            // timed side by side.
            try (EndpointWatch watch = EndpointWatch.open(c)) {
              watch.awaitSynced(Duration.ofSeconds(30));
              java.util.Map<String, String> before = watch.endpoints();
              t0 = System.nanoTime();
              killedAtWall = System.currentTimeMillis();
              LocalCluster.kill(c.agents.get("host1"));
              long deadline = System.nanoTime() + 120_000_000_000L;
              while (servedAtWall.size() < vms) {
                if (System.nanoTime() > deadline) {
                  throw new IllegalStateException((vms - servedAtWall.size()) + " VM(s) did not come back within 120 s");
                }
                boolean asked = false;
                for (var e : watch.endpoints().entrySet()) {
                  String vm = e.getKey();
                  String endpoint = e.getValue();
                  if (servedAtWall.containsKey(vm) || endpoint.equals(before.get(vm))) {
                    continue; // served already, or still the endpoint on the killed host
                  }
                  asked = true;
                  try (KvClient k = new KvClient(() -> endpoint, Duration.ofMillis(200))) {
                    if (k.get("before").isEmpty()) {
                      lost++;
                    }
                    servedAtWall.put(vm, System.currentTimeMillis());
                  } catch (IOException | RuntimeException ex) {
                    // not answering yet
                  }
                }
                if (asked) {
                  Thread.sleep(10);
                } else {
                  watch.awaitChange(Duration.ofMillis(500));
                }
              }
            }
            times.add((System.nanoTime() - t0) / 1e6);
            String last = servedAtWall.entrySet().stream().max(java.util.Map.Entry.comparingByValue()).orElseThrow().getKey();
            long first = servedAtWall.values().stream().min(Long::compare).orElseThrow() - killedAtWall;
            firsts.add((double) first);
            Phases p = phases(c, killedAtWall, last, c.vm(last).path("host").asText(), servedAtWall.get(last));
            phaseRuns.add(p);
            System.out.printf("  %d VM(s): serving again after %.0f ms (first after %d ms); last VM %s: %s%n", vms,
                times.get(times.size() - 1), first, last, describe(p));
          }
        }
        rows.add(row("host killed, " + vms + " kv VM(s) serving again elsewhere" + (fenced
            ? ", power-fenced" : "") + (poolArg < 0 ? "" : ", VM pool " + poolSize), times, lost,
            fenced ? "process power driver confirms the host off" : "", median(firsts), medianPhases(phaseRuns)));
      }
    }
    LocalCluster.agentOptions = List.of();
    List<Double> failovers = new ArrayList<>();
    // --hosts-only: host failures only (the leader's failover does not depend on the agents' settings)
    for (int r = 0; r < (Arrays.asList(args).contains("--hosts-only") ? 0 : runs); r++) {
      Path dir = Files.createTempDirectory("roam-ha-bench");
      try (LocalCluster c = LocalCluster.startWithExternalZooKeeper(dir, 2, 1)) {
        String leader = JSON.readTree(c.ctl("-o", "json", "leader").out()).path("leaderAddress").asText();
        LocalCluster.Node node = c.masters.stream().filter(m -> m.address().equals(leader)).findFirst().orElseThrow();
        long t0 = System.nanoTime();
        LocalCluster.kill(node);
        int i = 0;
        long deadline = System.nanoTime() + 120_000_000_000L;
        java.util.Map<String, Long> refusals = new java.util.LinkedHashMap<>(); // first line of each refusal -> when last
        LocalCluster.Result attempt;
        while ((attempt = c.ctl("vm", "create", "probe" + r + "x" + i++, "--program", "idle", "--memory", "16MiB"))
            .exit() != 0 && System.nanoTime() < deadline) {
          refusals.put(attempt.err().lines().findFirst().orElse("").replaceAll("probe\\d+x\\d+", "probe"),
              (System.nanoTime() - t0) / 1_000_000);
          Thread.sleep(50);
        }
        failovers.add((System.nanoTime() - t0) / 1e6);
        System.out.printf("  leader killed: new leader served a write after %.0f ms%n", failovers.get(failovers.size() - 1));
        // Which answers the write got meanwhile, and until when: where a master failover's time goes.
        refusals.forEach((why, lastMs) -> System.out.printf("    refused until %d ms: %s%n", lastMs, why));
      }
    }
    if (!failovers.isEmpty()) {
      rows.add(row("leader master killed, new leader serving a write", failovers, 0, "", -1, Phases.NONE));
    }
    print(rows);
    write(rows);
  }

  /**
   * A cluster of three agents; on a machine loaded by others a start can time out (sessions expire
   * in TLS handshakes), which is not what this benchmark measures: tried up to three times.
   */
  private static LocalCluster startCluster(Path dir) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return LocalCluster.start(Files.createTempDirectory(dir, "try" + attempt), 3);
      } catch (Exception | AssertionError e) {
        if (attempt == 3) {
          throw e;
        }
        System.out.println("  (the cluster did not come up: " + e.getClass().getSimpleName() + "; again)");
      }
    }
  }

  /** Waits until every agent but host1 (the one killed) has {@code size} pooled VM processes listening. */
  /**
   * Waits until the surviving agents' pools have taken the leader's advice: their waiting
   * processes have not changed in number for 5 s (the advice is recomputed every 5 s, a pool
   * refills one process at a time).
   */
  private static void awaitPoolsSettled(LocalCluster c) throws Exception {
    long deadline = System.nanoTime() + 120_000_000_000L;
    long last = -1;
    long stableSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      long total = 0;
      for (String host : c.agents.keySet()) {
        if (!host.equals("host1")) {
          total += listening(c.dir.resolve(host).resolve("run").resolve("vm-pool"));
        }
      }
      if (total != last) {
        last = total;
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince > 5_000_000_000L) {
        System.out.println("  (pools settled: " + total + " waiting VM JVMs on the surviving hosts)");
        return;
      }
      Thread.sleep(200);
    }
    System.out.println("  (the pools did not settle within 120 s: measuring anyway)");
  }

  private static long listening(Path pool) throws IOException {
    try (java.util.stream.Stream<Path> files = Files.exists(pool) ? Files.list(pool) : java.util.stream.Stream.empty()) {
      return files.filter(f -> f.toString().endsWith(".sock")).count();
    }
  }

  private static void awaitPools(LocalCluster c, int size) throws Exception {
    long deadline = System.nanoTime() + 120_000_000_000L;
    for (String host : c.agents.keySet()) {
      if (host.equals("host1")) {
        continue;
      }
      Path pool = c.dir.resolve(host).resolve("run").resolve("vm-pool");
      while (true) {
        long listening;
        try (java.util.stream.Stream<Path> files = Files.exists(pool) ? Files.list(pool) : java.util.stream.Stream.empty()) {
          listening = files.filter(f -> f.toString().endsWith(".sock")).count();
        }
        if (listening >= size) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(host + " has " + listening + " of " + size + " pooled VM processes after 120 s");
        }
        Thread.sleep(100);
      }
    }
  }

  private static KvClient client(LocalCluster c, String vm) {
    return new KvClient(() -> {
      try {
        return JSON.readTree(c.ctl("-o", "json", "vm", "show", vm).out()).path("endpoint").asText();
      } catch (IOException e) {
        return null;
      }
    }, Duration.ofSeconds(30));
  }

  private static void ctl(LocalCluster c, String... args) {
    LocalCluster.Result r = c.ctl(args);
    if (r.exit() != 0) {
      throw new IllegalStateException(String.join(" ", args) + ": " + r.err());
    }
  }

  private static Row row(String name, List<Double> times, long lost, String note, double firstMs, Phases phases) {
    List<Double> s = new ArrayList<>(times);
    s.sort(null);
    return new Row(name, s.size(), s.get(s.size() / 2), s.get(s.size() - 1), lost, note, firstMs, phases);
  }

  private static double median(List<Double> values) {
    List<Double> s = new ArrayList<>(values);
    s.sort(null);
    return s.get(s.size() / 2);
  }

  /** Each phase's median over the runs (so the medians need not add up to the median total). */
  private static Phases medianPhases(List<Phases> runs) {
    long[] m = new long[6];
    for (int i = 0; i < 6; i++) {
      int k = i;
      List<Long> v = runs.stream().map(p -> p.values()[k]).sorted().toList();
      m[i] = v.get(v.size() / 2);
    }
    return new Phases(m[0], m[1], m[2], m[3], m[4], m[5]);
  }

  /** The phases HaMonitor states in a failover's vm.restarted event (its own clock). */
  private static final java.util.regex.Pattern RESTART_TIMING = java.util.regex.Pattern.compile(
      "decided (\\d+) ms after the session was seen gone, owner moved (\\d+) ms after the decision, created and"
          + " booted in (\\d+) ms");
  private static final java.util.regex.Pattern VM_MAIN = java.util.regex.Pattern.compile("boot at (\\d+)");
  private static final java.util.regex.Pattern RECOVERED = java.util.regex.Pattern.compile(
      "kv: disk recovered .* at (\\d+)");

  /**
   * One VM's restart split at the moments its vm.restarted event states (session seen gone,
   * failover decided, owner moved: the leader's clock, counted back from the event's time) and its
   * VM log records (main running, disk recovered), and its first answer (wall clock, one machine).
   */
  private static Phases phases(LocalCluster c, long killed, String vm, String host, long served) throws IOException {
    long placed = -1;
    long decided = -1;
    long seenGone = -1;
    for (JsonNode e : JSON.readTree(c.ctl("-o", "json", "events", "--vm", vm).out()).path("events")) {
      java.util.regex.Matcher m = RESTART_TIMING.matcher(e.path("message").asText());
      if (e.path("timeMs").asLong() >= killed && e.path("kind").asText().equals("vm.restarted") && m.find()) {
        placed = e.path("timeMs").asLong() - Long.parseLong(m.group(3));
        decided = placed - Long.parseLong(m.group(2));
        seenGone = decided - Long.parseLong(m.group(1));
      }
    }
    String log;
    try {
      log = Files.readString(c.dir.resolve(host).resolve("logs").resolve(vm + ".log"));
    } catch (IOException e) {
      log = "";
    }
    long main = lastMatch(VM_MAIN, log);
    long recovered = lastMatch(RECOVERED, log);
    if (placed < 0 || main < 0 || recovered < 0) {
      return Phases.NONE;
    }
    return new Phases(seenGone - killed, decided - seenGone, placed - decided, main - placed, recovered - main,
        served - recovered);
  }

  private static long lastMatch(java.util.regex.Pattern p, String text) {
    java.util.regex.Matcher m = p.matcher(text);
    long last = -1;
    while (m.find()) {
      last = Long.parseLong(m.group(1));
    }
    return last;
  }

  private static String describe(Phases p) {
    return String.format(Locale.ROOT, "detect %d, decide %d, place %d, boot %d, replay %d, serve %d ms", p.detect(),
        p.decide(), p.place(), p.boot(), p.replay(), p.serve());
  }

  private static void print(List<Row> rows) {
    System.out.printf("%nRoam HA benchmark (%s, %d cores; session timeout %d ms, lease %d ms, failover delay %d ms)%n%n",
        LocalDateTime.now().withNano(0), Runtime.getRuntime().availableProcessors(), LocalCluster.sessionTimeoutMs,
        io.roam.common.config.RoamKeys.AGENT_LEASE_MS.defaultValue(),
        io.roam.common.config.RoamKeys.HA_FAILOVER_DELAY_MS.defaultValue());
    String fmt = "%-64s %4s %9s %8s %8s %4s | %6s %6s %6s %6s %6s %6s%n";
    System.out.printf(fmt, "scenario", "runs", "median ms", "max ms", "first ms", "lost", "detect", "decide", "place",
        "boot", "replay", "serve");
    for (Row r : rows) {
      long[] p = r.phases().values();
      Object[] cells = new Object[12];
      cells[0] = r.scenario();
      cells[1] = r.runs();
      cells[2] = String.format(Locale.ROOT, "%.0f", r.medianMs());
      cells[3] = String.format(Locale.ROOT, "%.0f", r.maxMs());
      cells[4] = r.firstMs() < 0 ? "" : String.format(Locale.ROOT, "%.0f", r.firstMs());
      cells[5] = r.lost();
      for (int i = 0; i < 6; i++) {
        cells[6 + i] = p[i] < 0 ? "" : Long.toString(p[i]);
      }
      System.out.printf(fmt, cells);
    }
    System.out.println("\nPhases (ms, the VM that served last, median over runs): detect = kill to the leader seeing"
        + " the session gone; decide = failover delay or fencing; place = owner record moved; boot = boot slot, create,"
        + " launch, JVM up to main; replay = kv log fence, replay and snapshot; serve = listening to the first answer.");
  }

  private static void write(List<Row> rows) throws IOException {
    Path out = Path.of("bench-results");
    Files.createDirectories(out);
    StringBuilder csv = new StringBuilder("scenario,runs,median_ms,max_ms,lost_writes,first_ms,detect_ms,decide_ms,"
        + "place_ms,boot_ms,replay_ms,serve_ms\n");
    for (Row r : rows) {
      long[] p = r.phases().values();
      csv.append(String.format(Locale.ROOT, "\"%s\",%d,%.0f,%.0f,%d,%.0f,%d,%d,%d,%d,%d,%d%n", r.scenario(), r.runs(),
          r.medianMs(), r.maxMs(), r.lost(), r.firstMs(), p[0], p[1], p[2], p[3], p[4], p[5]));
    }
    Path f = out.resolve("ha-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".csv");
    Files.writeString(f, csv);
    System.out.println("\nwritten: " + f);
  }
}
