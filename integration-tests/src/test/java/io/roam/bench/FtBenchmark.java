package io.roam.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roam.common.kv.KvClient;
import io.roam.it.LocalCluster;
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
 * FT, measured on real processes (issue 14's benchmark): a 256 MiB kv VM without a write-ahead
 * log, unprotected and then protected with checkpoint intervals of 10, 20 and 50 ms, side by side
 * in one cluster: kv throughput and request latency of {@code --clients} closed-loop clients (16 by
 * default; each a PUT then an INCR, over and over, one request outstanding: under output commit a
 * client's throughput is one request per checkpoint, so throughput needs clients), the VM's pause per checkpoint, the bytes per second sent to the secondary; then
 * the time from kill -9 of the protected VM's host to the VM answering a write on its secondary
 * (median and max over several runs, each on a fresh cluster), every acknowledged write checked.
 * Prints a table, writes CSV and JSON to bench-results/. Run: {@code ./roam bench ft [--quick] [--clients N]}.
 */
public final class FtBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VM = "kv";

  record Row(String scenario, double opsPerSecond, double medianUs, double p99Us, long checkpoints,
      long pauseMedianUs, long pauseP99Us, long pauseMaxUs, double bytesPerSecond) {}

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    int clientsArg = Arrays.asList(args).indexOf("--clients");
    if (clientsArg >= 0) {
      clients = Integer.parseInt(args[clientsArg + 1]);
    }
    long measureMs = quick ? 5_000 : 15_000;
    int failoverRuns = quick ? 2 : 5;
    LocalCluster.agentMemory = "2GiB";
    List<Row> rows = new ArrayList<>();
    Path dir = Files.createTempDirectory("roam-bench-ft-");
    try (LocalCluster c = LocalCluster.start(dir.resolve("load"), 3)) {
      ok(c.ctl("vm", "create", VM, "--program", "kv", "--memory", "256MiB", "--host", "host1", "--start"));
      try (KvClient k = new KvClient(() -> c.vm(VM).path("endpoint").asText(), Duration.ofSeconds(60))) {
        load(k, 2_000); // warm up the VM's and the client's code
        rows.add(measure(c, k, "unprotected", measureMs, null));
        for (int interval : new int[] {10, 20, 50}) {
          ok(c.ctl("vm", "ft", "on", VM, "--checkpoint-interval", interval + "ms"));
          waitFor(c, "protected", 120);
          load(k, 1_000);
          rows.add(measure(c, k, "FT, checkpoint every " + interval + " ms", measureMs, ftId(c)));
          ok(c.ctl("vm", "ft", "off", VM));
          waitFor(c, "not protected", 60);
        }
      }
    }
    List<Long> failovers = new ArrayList<>();
    for (int run = 0; run < failoverRuns; run++) {
      failovers.add(failover(dir.resolve("failover-" + run)));
      System.out.printf("  failover run %d: the secondary answered a write %d ms after the kill%n", run + 1,
          failovers.get(run));
    }
    print(rows, failovers);
    write(rows, failovers);
  }

  /** Kill -9 of the protected VM's host to a write answered on its secondary, in ms (writes checked). */
  private static long failover(Path dir) throws Exception {
    try (LocalCluster c = LocalCluster.start(dir, 3)) {
      ok(c.ctl("vm", "create", VM, "--program", "kv", "--memory", "256MiB", "--host", "host1", "--start"));
      ok(c.ctl("vm", "ft", "on", VM, "--secondary", "host2"));
      waitFor(c, "protected", 120);
      long acked;
      try (KvClient k = new KvClient(() -> c.vm(VM).path("endpoint").asText(), Duration.ofSeconds(60))) {
        acked = load(k, 1_000);
        long t0 = System.nanoTime();
        LocalCluster.kill(c.agents.get("host1"));
        k.put("after-kill", "1");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        for (long i = Math.max(0, acked - 1000); i < acked; i++) {
          if (!k.get("key" + (i % 1000)).orElse("").equals("value" + i)) {
            throw new AssertionError("acknowledged write " + i + " lost in the failover");
          }
        }
        if (!c.vm(VM).path("host").asText().equals("host2")) {
          throw new AssertionError("the VM runs on " + c.vm(VM).path("host").asText() + ", not its secondary");
        }
        return ms;
      }
    }
  }

  /** Writes (PUT keyN valueN, INCR counter) for {@code millis}; returns the number of PUTs acknowledged. */
  private static long load(KvClient k, long millis) throws Exception {
    long end = System.nanoTime() + millis * 1_000_000;
    long n = 0;
    while (System.nanoTime() < end) {
      k.put("key" + (n % 1000), "value" + n);
      k.increment("counter");
      n++;
    }
    return n;
  }

  /** Clients writing at once in the throughput rows (each closed-loop: one request outstanding). */
  static int clients = 16;

  private static Row measure(LocalCluster c, KvClient k, String scenario, long millis, String ftId) throws Exception {
    JsonNode before = ftId == null ? null : checkpoints(c, ftId);
    List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
    long t0 = System.nanoTime();
    long end = t0 + millis * 1_000_000;
    List<Thread> threads = new ArrayList<>();
    java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
    for (int t = 0; t < clients; t++) {
      String prefix = "c" + t + "-";
      Thread th = new Thread(() -> {
        List<Long> mine = new ArrayList<>();
        try (KvClient own = new KvClient(() -> c.vm(VM).path("endpoint").asText(), Duration.ofSeconds(60))) {
          for (long n = 0; System.nanoTime() < end; n++) {
            long s = System.nanoTime();
            own.put(prefix + (n % 100), "value" + n);
            mine.add(System.nanoTime() - s);
            s = System.nanoTime();
            own.increment(prefix + "counter");
            mine.add(System.nanoTime() - s);
          }
        } catch (Exception e) {
          failed.set(e);
        }
        latencies.addAll(mine);
      });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }
    if (failed.get() != null) {
      throw failed.get();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    latencies.sort(null);
    double median = latencies.get(latencies.size() / 2) / 1e3;
    double p99 = latencies.get((int) Math.min(latencies.size() - 1, Math.ceil(latencies.size() * 0.99) - 1)) / 1e3;
    if (ftId == null) {
      return new Row(scenario, latencies.size() / seconds, median, p99, 0, 0, 0, 0, 0);
    }
    JsonNode after = checkpoints(c, ftId);
    return new Row(scenario, latencies.size() / seconds, median, p99, after.path("checkpoints").asLong(),
        after.path("pauseMedianUs").asLong(), after.path("pauseP99Us").asLong(), after.path("pauseMaxUs").asLong(),
        (after.path("bytes").asLong() - before.path("bytes").asLong()) / seconds);
  }

  private static String ftId(LocalCluster c) throws Exception {
    for (JsonNode m : JSON.readTree(c.ctl("-o", "json", "migration", "ls").out()).path("migrations")) {
      if (m.path("vm").asText().equals(VM) && m.path("id").asText().startsWith("ft-")
          && m.path("status").asText().equalsIgnoreCase("active")) {
        return m.path("id").asText();
      }
    }
    throw new IllegalStateException("no active FT protection of " + VM + " in `migration ls`");
  }

  private static JsonNode checkpoints(LocalCluster c, String id) throws Exception {
    return JSON.readTree(c.ctl("-o", "json", "migration", "show", id).out()).path("checkpoints");
  }

  private static void waitFor(LocalCluster c, String state, int seconds) throws InterruptedException {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    while (!c.vm(VM).path("ftState").asText().equals(state)) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException("VM " + VM + " not " + state + " after " + seconds + " s: "
            + c.vm(VM).path("ftState").asText());
      }
      Thread.sleep(200);
    }
  }

  private static void ok(LocalCluster.Result r) {
    if (r.exit() != 0) {
      throw new IllegalStateException(r.err());
    }
  }

  private static void print(List<Row> rows, List<Long> failovers) {
    System.out.printf("%nRoam FT benchmark (%d cores; 256 MiB kv VM without a log, %d closed-loop clients)%n%n",
        Runtime.getRuntime().availableProcessors(), clients);
    String fmt = "%-28s %10s %12s %12s %12s %14s %12s %12s %14s%n";
    System.out.printf(fmt, "scenario", "req/s", "median us", "p99 us", "checkpoints", "pause med us", "pause p99",
        "pause max", "to secondary");
    double base = rows.get(0).opsPerSecond();
    for (Row r : rows) {
      System.out.printf(fmt, r.scenario(), String.format(Locale.ROOT, "%.0f (%.0f%%)", r.opsPerSecond(),
          100 * r.opsPerSecond() / base), String.format(Locale.ROOT, "%.0f", r.medianUs()),
          String.format(Locale.ROOT, "%.0f", r.p99Us()), r.checkpoints() == 0 ? "-" : r.checkpoints(),
          r.checkpoints() == 0 ? "-" : r.pauseMedianUs(), r.checkpoints() == 0 ? "-" : r.pauseP99Us(),
          r.checkpoints() == 0 ? "-" : r.pauseMaxUs(), r.checkpoints() == 0 ? "-"
              : String.format(Locale.ROOT, "%.1f MB/s", r.bytesPerSecond() / 1e6));
    }
    List<Long> sorted = new ArrayList<>(failovers);
    sorted.sort(null);
    System.out.printf("%nkill -9 of the primary's host -> a write answered on the secondary: median %d ms, max %d ms"
        + " (%d runs; no acknowledged write lost)%n", sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1),
        sorted.size());
  }

  private static void write(List<Row> rows, List<Long> failovers) throws Exception {
    Path out = Path.of("bench-results");
    Files.createDirectories(out);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    StringBuilder csv = new StringBuilder("scenario,requests_per_second,median_us,p99_us,checkpoints,pause_median_us,"
        + "pause_p99_us,pause_max_us,bytes_per_second\n");
    for (Row r : rows) {
      csv.append(String.format(Locale.ROOT, "\"%s\",%.0f,%.0f,%.0f,%d,%d,%d,%d,%.0f%n", r.scenario(), r.opsPerSecond(),
          r.medianUs(), r.p99Us(), r.checkpoints(), r.pauseMedianUs(), r.pauseP99Us(), r.pauseMaxUs(),
          r.bytesPerSecond()));
    }
    Files.writeString(out.resolve("ft-" + stamp + ".csv"), csv);
    Files.writeString(out.resolve("ft-" + stamp + ".json"), JSON.writerWithDefaultPrettyPrinter()
        .writeValueAsString(java.util.Map.of("rows", rows, "failoverMs", failovers)));
    System.out.println("\nwritten: bench-results/ft-" + stamp + ".csv and .json");
  }
}
