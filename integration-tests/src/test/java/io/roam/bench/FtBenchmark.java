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
 * in one cluster: kv throughput and request latency under two loads, the VM's pause per checkpoint,
 * the bytes per second sent to the secondary; then the time from kill -9 of the protected VM's
 * host to the VM answering a write on its secondary (median and max over several runs, each on a
 * fresh cluster), every acknowledged write checked.
 *
 * <p>The two loads, each from {@code --clients} connections (16 by default), a PUT then an INCR
 * over and over: <b>closed loop</b>, one request outstanding per client (under output commit a
 * client gets at most one reply per checkpoint, so this load measures latency more than the VM);
 * and <b>pipelined</b>, {@code --pipeline} requests outstanding per client (32 by default), as a
 * server under many clients sees it: the throughput the VM can give under FT.
 * Prints a table, writes CSV and JSON to bench-results/.
 * Run: {@code ./roam bench ft [--quick] [--clients N] [--pipeline N]}.
 */
public final class FtBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VM = "kv";

  record Row(String scenario, String load, double opsPerSecond, double medianUs, double p99Us, long checkpoints,
      long pauseMedianUs, long pauseP99Us, long pauseMaxUs, double bytesPerSecond) {}

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    int clientsArg = Arrays.asList(args).indexOf("--clients");
    if (clientsArg >= 0) {
      clients = Integer.parseInt(args[clientsArg + 1]);
    }
    int pipelineArg = Arrays.asList(args).indexOf("--pipeline");
    if (pipelineArg >= 0) {
      pipeline = Integer.parseInt(args[pipelineArg + 1]);
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
        rows.add(measure(c, "unprotected", 1, measureMs, null));
        rows.add(measure(c, "unprotected", pipeline, measureMs, null));
        for (int interval : new int[] {10, 20, 50}) {
          ok(c.ctl("vm", "ft", "on", VM, "--checkpoint-interval", interval + "ms"));
          waitFor(c, "protected", 120);
          load(k, 1_000);
          String id = ftId(c);
          rows.add(measure(c, "FT, checkpoint every " + interval + " ms", 1, measureMs, id));
          rows.add(measure(c, "FT, checkpoint every " + interval + " ms", pipeline, measureMs, id));
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

  /** Connections writing at once in the throughput rows. */
  static int clients = 16;
  /** Requests outstanding per connection in the pipelined rows. */
  static int pipeline = 32;

  /**
   * One load for {@code millis}: {@link #clients} connections, each with {@code window} requests
   * outstanding (1: closed loop). Checkpoint statistics are the protection's over the same time.
   */
  private static Row measure(LocalCluster c, String scenario, int window, long millis, String ftId) throws Exception {
    JsonNode before = ftId == null ? null : checkpoints(c, ftId);
    List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
    String endpoint = c.vm(VM).path("endpoint").asText();
    long t0 = System.nanoTime();
    long end = t0 + millis * 1_000_000;
    List<Thread> threads = new ArrayList<>();
    java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
    for (int t = 0; t < clients; t++) {
      String prefix = "c" + t + "-";
      Thread th = new Thread(() -> {
        List<Long> mine = new ArrayList<>();
        try {
          new PipelinedClient(endpoint, prefix, window).run(end, mine);
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
    String load = window == 1 ? "closed loop" : "pipelined x" + window;
    if (ftId == null) {
      return new Row(scenario, load, latencies.size() / seconds, median, p99, 0, 0, 0, 0, 0);
    }
    JsonNode after = checkpoints(c, ftId);
    return new Row(scenario, load, latencies.size() / seconds, median, p99,
        after.path("checkpoints").asLong() - before.path("checkpoints").asLong(),
        after.path("pauseMedianUs").asLong(), after.path("pauseP99Us").asLong(), after.path("pauseMaxUs").asLong(),
        (after.path("bytes").asLong() - before.path("bytes").asLong()) / seconds);
  }

  /**
   * One connection speaking kv's numbered-request protocol with {@code window} requests in flight:
   * replies come in order, and each reply read lets one more request go (written in a batch with
   * the others that are ready, one flush). Every reply is checked.
   */
  private static final class PipelinedClient {
    private final String endpoint;
    private final String prefix;
    private final int window;
    private final long clientId = java.util.concurrent.ThreadLocalRandom.current().nextLong() | 1;
    private long seq;

    PipelinedClient(String endpoint, String prefix, int window) {
      this.endpoint = endpoint;
      this.prefix = prefix;
      this.window = window;
    }

    void run(long endNanos, List<Long> latencies) throws Exception {
      int colon = endpoint.lastIndexOf(':');
      try (java.net.Socket s = new java.net.Socket(endpoint.substring(0, colon),
          Integer.parseInt(endpoint.substring(colon + 1)))) {
        s.setTcpNoDelay(true);
        s.setSoTimeout(60_000);
        java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
            java.nio.charset.StandardCharsets.UTF_8), 1 << 16);
        java.io.Writer out = new java.io.BufferedWriter(new java.io.OutputStreamWriter(s.getOutputStream(),
            java.nio.charset.StandardCharsets.UTF_8), 1 << 16);
        java.util.ArrayDeque<Long> sentAt = new java.util.ArrayDeque<>();
        while (sentAt.size() < window) {
          send(out, sentAt);
        }
        out.flush();
        while (!sentAt.isEmpty()) {
          do {
            String reply = in.readLine();
            long now = System.nanoTime();
            if (reply == null) {
              throw new java.io.IOException("the VM closed the connection");
            }
            if (!reply.equals("OK") && !reply.startsWith("VALUE ")) {
              throw new java.io.IOException("the VM answered " + reply);
            }
            latencies.add(now - sentAt.poll());
            if (now < endNanos) {
              send(out, sentAt);
            }
          } while (in.ready() && !sentAt.isEmpty());
          out.flush();
        }
      }
    }

    private void send(java.io.Writer out, java.util.ArrayDeque<Long> sentAt) throws java.io.IOException {
      long n = ++seq;
      String command = n % 2 == 1 ? "PUT " + prefix + (n / 2 % 100) + " value" + n : "INCR " + prefix + "counter";
      out.write("R " + clientId + " " + n + " " + command + "\n");
      sentAt.add(System.nanoTime());
    }
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
    System.out.printf("%nRoam FT benchmark (%d cores; 256 MiB kv VM without a log, %d clients; closed loop: one"
        + " request outstanding each, pipelined: %d each; %% of the unprotected VM's under the same load)%n%n",
        Runtime.getRuntime().availableProcessors(), clients, pipeline);
    String fmt = "%-28s %-14s %14s %12s %12s %12s %14s %12s %12s %14s%n";
    System.out.printf(fmt, "scenario", "load", "req/s", "median us", "p99 us", "checkpoints", "pause med us",
        "pause p99", "pause max", "to secondary");
    for (Row r : rows) {
      double base = rows.stream().filter(u -> u.scenario().equals("unprotected") && u.load().equals(r.load()))
          .findFirst().orElseThrow().opsPerSecond();
      System.out.printf(fmt, r.scenario(), r.load(), String.format(Locale.ROOT, "%.0f (%.0f%%)", r.opsPerSecond(),
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
    StringBuilder csv = new StringBuilder("scenario,load,requests_per_second,median_us,p99_us,checkpoints,pause_median_us,"
        + "pause_p99_us,pause_max_us,bytes_per_second\n");
    for (Row r : rows) {
      csv.append(String.format(Locale.ROOT, "\"%s\",\"%s\",%.0f,%.0f,%.0f,%d,%d,%d,%d,%.0f%n", r.scenario(), r.load(),
          r.opsPerSecond(),
          r.medianUs(), r.p99Us(), r.checkpoints(), r.pauseMedianUs(), r.pauseP99Us(), r.pauseMaxUs(),
          r.bytesPerSecond()));
    }
    Files.writeString(out.resolve("ft-" + stamp + ".csv"), csv);
    Files.writeString(out.resolve("ft-" + stamp + ".json"), JSON.writerWithDefaultPrettyPrinter()
        .writeValueAsString(java.util.Map.of("rows", rows, "failoverMs", failovers)));
    System.out.println("\nwritten: bench-results/ft-" + stamp + ".csv and .json");
  }
}
