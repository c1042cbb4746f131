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
 * Prints a table, writes CSV to bench-results/. Run: {@code ./roam bench ha [--quick]}.
 */
public final class HaBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Row(String scenario, int runs, double medianMs, double maxMs, long lost, String note) {}

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    int runs = quick ? 1 : 3;
    LocalCluster.agentMemory = "2GiB";
    List<Row> rows = new ArrayList<>();
    // Without a power driver HA waits out the session and the VM leases; with one (the process
    // driver here) it fences the host and restarts as soon as the driver confirms it off.
    int[][] scenarios = quick ? new int[][] {{1, 0}, {5, 0}, {1, 1}}
        : new int[][] {{1, 0}, {5, 0}, {20, 0}, {1, 1}, {5, 1}, {20, 1}};
    for (int[] scenario : scenarios) {
      int vms = scenario[0];
      boolean fenced = scenario[1] == 1;
      List<Double> times = new ArrayList<>();
      long lost = 0;
      for (int r = 0; r < runs; r++) {
        Path dir = Files.createTempDirectory("roam-ha-bench");
        try (LocalCluster c = LocalCluster.start(dir, 3)) {
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
          long t0 = System.nanoTime();
          LocalCluster.kill(c.agents.get("host1"));
          // One listing per round finds every VM that runs elsewhere; each is then asked for the key
          // it held. A VM counts as serving at its first answer, so the VMs are timed side by side.
          java.util.Set<String> serving = new java.util.HashSet<>();
          long deadline = System.nanoTime() + 120_000_000_000L;
          while (serving.size() < vms) {
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException((vms - serving.size()) + " VM(s) did not come back within 120 s");
            }
            for (JsonNode v : JSON.readTree(c.ctl("-o", "json", "vm", "ls").out()).path("vms")) {
              String vm = v.path("spec").path("name").asText();
              if (serving.contains(vm) || v.path("host").asText().equals("host1")
                  || !v.path("state").asText().equals("VM_STATE_RUNNING") || v.path("endpoint").asText().isEmpty()) {
                continue;
              }
              try (KvClient k = new KvClient(() -> v.path("endpoint").asText(), Duration.ofMillis(200))) {
                if (k.get("before").isEmpty()) {
                  lost++;
                }
                serving.add(vm);
              } catch (IOException | RuntimeException e) {
                // not answering yet
              }
            }
            Thread.sleep(20);
          }
          times.add((System.nanoTime() - t0) / 1e6);
          System.out.printf("  %d VM(s): serving again after %.0f ms%n", vms, times.get(times.size() - 1));
        }
      }
      rows.add(row("host killed, " + vms + " kv VM(s) serving again elsewhere" + (fenced
          ? ", power-fenced" : ""), times, lost, fenced ? "process power driver confirms the host off" : ""));
    }
    List<Double> failovers = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      Path dir = Files.createTempDirectory("roam-ha-bench");
      try (LocalCluster c = LocalCluster.startWithExternalZooKeeper(dir, 2, 1)) {
        String leader = JSON.readTree(c.ctl("-o", "json", "leader").out()).path("leaderAddress").asText();
        LocalCluster.Node node = c.masters.stream().filter(m -> m.address().equals(leader)).findFirst().orElseThrow();
        long t0 = System.nanoTime();
        LocalCluster.kill(node);
        int i = 0;
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline && c.ctl("vm", "create", "probe" + r + "x" + i++, "--program", "idle", "--memory", "16MiB")
            .exit() != 0) {
          Thread.sleep(50);
        }
        failovers.add((System.nanoTime() - t0) / 1e6);
        System.out.printf("  leader killed: new leader served a write after %.0f ms%n", failovers.get(failovers.size() - 1));
      }
    }
    rows.add(row("leader master killed, new leader serving a write", failovers, 0, ""));
    print(rows);
    write(rows);
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

  private static Row row(String name, List<Double> times, long lost, String note) {
    List<Double> s = new ArrayList<>(times);
    s.sort(null);
    return new Row(name, s.size(), s.get(s.size() / 2), s.get(s.size() - 1), lost, note);
  }

  private static void print(List<Row> rows) {
    System.out.printf("%nRoam HA benchmark (%s, %d cores; session timeout 4 s, lease 3 s, failover delay 3 s)%n%n",
        LocalDateTime.now().withNano(0), Runtime.getRuntime().availableProcessors());
    String fmt = "%-66s %5s %10s %10s %6s%n";
    System.out.printf(fmt, "scenario", "runs", "median ms", "max ms", "lost");
    for (Row r : rows) {
      System.out.printf(fmt, r.scenario(), r.runs(), String.format(Locale.ROOT, "%.0f", r.medianMs()),
          String.format(Locale.ROOT, "%.0f", r.maxMs()), r.lost());
    }
  }

  private static void write(List<Row> rows) throws IOException {
    Path out = Path.of("bench-results");
    Files.createDirectories(out);
    StringBuilder csv = new StringBuilder("scenario,runs,median_ms,max_ms,lost_writes\n");
    for (Row r : rows) {
      csv.append(String.format(Locale.ROOT, "\"%s\",%d,%.0f,%.0f,%d%n", r.scenario(), r.runs(), r.medianMs(), r.maxMs(), r.lost()));
    }
    Path f = out.resolve("ha-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".csv");
    Files.writeString(f, csv);
    System.out.println("\nwritten: " + f);
  }
}
