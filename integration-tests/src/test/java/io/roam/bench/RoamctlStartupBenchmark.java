package io.roam.bench;

import io.roam.common.security.TlsFiles;
import io.roam.it.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CPU time (user + system, of the process and its children) of one call of the distribution's
 * {@code bin/roamctl}, for {@code --version} and for a {@code vm ls} against a one-agent cluster,
 * under each set of start-up flags: what bin/roamctl used before (C1 only), plain java, the
 * short-run flags, and those with the class data sharing archive bin/roamctl makes (the default).
 * CPU time, not wall time: on a shared machine it moves far less with the load of other processes.
 * Each row: one call first (it makes the archive where there is one to make), then the mean of N.
 *
 * <p>Prints a table, writes CSV to bench-results/. Run: {@code ./roam bench roamctl [--runs N]}
 * (needs {@code mvn package}: it runs deploy/target/roam/roam/bin/roamctl).
 */
public final class RoamctlStartupBenchmark {
  private static final Pattern TIMES = Pattern.compile("(\\d+)m([\\d.]+)s\\s+(\\d+)m([\\d.]+)s");

  /** A set of start-up flags: ROAMCTL_JAVA_OPTS (null: bin/roamctl's own) and whether CDS is on. */
  record Flags(String name, String javaOpts, boolean cds) {}

  /** {@code firstCpuSeconds}: the first call of the row (with CDS, the one that makes the archive). */
  record Row(String flags, String command, int runs, double cpuSeconds, double firstCpuSeconds) {}

  static final List<Flags> FLAGS = List.of(
      new Flags("plain java (no flags)", "-Dunused=1", false),
      new Flags("before: -Xmx128m -XX:TieredStopAtLevel=1", "-Xmx128m -XX:TieredStopAtLevel=1", false),
      new Flags("short-run flags (C1, 1 compiler thread, SerialGC, no perf data)", null, false),
      new Flags("now: short-run flags + AppCDS archive (bin/roamctl default)", null, true));

  public static void main(String[] args) throws Exception {
    int runs = 10;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--runs")) {
        runs = Integer.parseInt(args[++i]);
      }
    }
    Path root = io.roam.it.Checkout.root();
    Path dist = root.resolve("deploy/target/roam/roam");
    if (!Files.isDirectory(dist.resolve("lib"))) {
      throw new IllegalStateException("no distribution at " + dist + ": run mvn -DskipTests package first");
    }
    Path work = Files.createTempDirectory("roamctl-startup");
    List<Row> rows = new ArrayList<>();
    try (LocalCluster c = LocalCluster.start(work.resolve("cluster"), 1)) {
      TlsFiles admin = c.admin();
      Map<String, String> env = new HashMap<>(Map.of("ROAM_MASTER", c.masters.get(0).address(),
          "ROAM_TLS_CA", admin.ca().toString(), "ROAM_TLS_CERT", admin.cert().toString(),
          "ROAM_TLS_KEY", admin.key().toString()));
      for (Flags f : FLAGS) {
        Path cache = work.resolve("cds-" + rows.size());
        for (List<String> command : List.of(List.of("vm", "ls"), List.of("--version"))) {
          rows.add(measure(dist, env, f, cache, command, runs));
          System.out.printf(Locale.ROOT, "%-66s %-10s %.3f s%n", f.name(), String.join(" ", command),
              rows.get(rows.size() - 1).cpuSeconds());
        }
      }
    }
    print(rows);
    write(rows);
  }

  /** Mean CPU seconds of one call, over {@code runs} calls after a first one (which makes the archive). */
  static Row measure(Path dist, Map<String, String> env, Flags f, Path cache, List<String> command, int runs)
      throws IOException, InterruptedException {
    Map<String, String> e = new HashMap<>(env);
    e.put("ROAMCTL_CDS", f.cds() ? "1" : "0");
    e.put("ROAMCTL_CDS_DIR", cache.toString());
    if (f.javaOpts() != null) {
      e.put("ROAMCTL_JAVA_OPTS", f.javaOpts());
    }
    String roamctl = dist.resolve("bin/roamctl").toString();
    // The archive is made by a call to a master: make it first whatever this row measures.
    double first = shell(e, 1, roamctl, List.of("vm", "ls"));
    double total = shell(e, runs, roamctl, command);
    return new Row(f.name(), String.join(" ", command), runs, total / runs, first);
  }

  /** Runs the command {@code n} times in one shell and returns the CPU seconds of its children (bash's times). */
  private static double shell(Map<String, String> env, int n, String roamctl, List<String> args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash", "-c",
        "for i in $(seq " + n + "); do \"$@\" >/dev/null || exit 1; done; times", "_", roamctl));
    cmd.addAll(args);
    ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true);
    b.environment().keySet().removeIf(k -> k.startsWith("ROAM"));
    b.environment().put("JAVA_HOME", System.getProperty("java.home"));
    b.environment().putAll(env);
    Process p = b.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("roamctl " + args + " failed: " + out);
    }
    String[] lines = out.strip().split("\n");
    Matcher m = TIMES.matcher(lines[lines.length - 1]); // times: the shell's own line, then its children's
    if (!m.find()) {
      throw new IllegalStateException("no times line in: " + out);
    }
    return Integer.parseInt(m.group(1)) * 60 + Double.parseDouble(m.group(2))
        + Integer.parseInt(m.group(3)) * 60 + Double.parseDouble(m.group(4));
  }

  private static void print(List<Row> rows) {
    System.out.printf(Locale.ROOT, "%n| flags | `roamctl --version` | `roamctl vm ls` | first `vm ls` |%n|---|---|---|---|%n");
    for (Flags f : FLAGS) {
      double version = cpu(rows, f.name(), "--version").cpuSeconds();
      Row ls = cpu(rows, f.name(), "vm ls");
      System.out.printf(Locale.ROOT, "| %s | %.2f s | %.2f s | %.2f s |%n", f.name(), version, ls.cpuSeconds(),
          ls.firstCpuSeconds());
    }
    System.out.println("\nCPU time (user + sys) of one call, mean of " + rows.get(0).runs() + " calls after a first;"
        + " the first call with AppCDS makes the archive.");
  }

  private static Row cpu(List<Row> rows, String flags, String command) {
    return rows.stream().filter(r -> r.flags().equals(flags) && r.command().equals(command)).findFirst().orElseThrow();
  }

  private static void write(List<Row> rows) throws IOException {
    Path out = Path.of("bench-results");
    Files.createDirectories(out);
    StringBuilder csv = new StringBuilder("flags,command,runs,cpu_seconds_per_call,first_call_cpu_seconds\n");
    for (Row r : rows) {
      csv.append(String.format(Locale.ROOT, "\"%s\",\"%s\",%d,%.4f,%.4f%n", r.flags(), r.command(), r.runs(),
          r.cpuSeconds(), r.firstCpuSeconds()));
    }
    Path f = out.resolve("roamctl-startup-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
        + ".csv");
    Files.writeString(f, csv);
    System.out.println("written: " + f);
  }

  private RoamctlStartupBenchmark() {}
}
