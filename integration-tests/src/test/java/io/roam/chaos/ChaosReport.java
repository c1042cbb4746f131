package io.roam.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a chaos run found, per fault kind: rounds, rounds skipped, violations, and the time from
 * the fault to every VM serving again (median and max; reported, never asserted). Printed as a table
 * and written as CSV and JSON to bench-results/, like the benchmarks. Not thread-safe.
 */
public final class ChaosReport {
  /** One round's outcome. */
  public record Round(FaultPlan plan, String note, long serveAgainMs, List<Violation> violations) {}

  private final long seed;
  private final String network;
  private final List<Round> rounds = new ArrayList<>();

  public ChaosReport(long seed, String network) {
    this.seed = seed;
    this.network = network;
  }

  public void add(Round r) {
    rounds.add(r);
  }

  public List<Round> rounds() {
    return rounds;
  }

  public List<Violation> violations() {
    List<Violation> all = new ArrayList<>();
    rounds.forEach(r -> all.addAll(r.violations()));
    return all;
  }

  /** One line of the table. */
  public record Row(String kind, int rounds, int skipped, int violations, long medianMs, long maxMs, int notServing) {}

  public List<Row> rows() {
    Map<FaultKind, List<Round>> byKind = new EnumMap<>(FaultKind.class);
    rounds.forEach(r -> byKind.computeIfAbsent(r.plan().kind(), k -> new ArrayList<>()).add(r));
    List<Row> rows = new ArrayList<>();
    byKind.forEach((kind, list) -> rows.add(row(kind.name().toLowerCase(Locale.ROOT).replace('_', '-'), list)));
    rows.add(row("all", rounds));
    return rows;
  }

  private static Row row(String name, List<Round> list) {
    List<Long> times = new ArrayList<>();
    int skipped = 0;
    int violations = 0;
    int notServing = 0;
    for (Round r : list) {
      if (r.note().startsWith("skipped")) {
        skipped++;
      }
      violations += r.violations().size();
      if (r.serveAgainMs() < 0) {
        notServing++;
      } else {
        times.add(r.serveAgainMs());
      }
    }
    times.sort(null);
    long median = times.isEmpty() ? -1 : times.get(times.size() / 2);
    long max = times.isEmpty() ? -1 : times.get(times.size() - 1);
    return new Row(name, list.size(), skipped, violations, median, max, notServing);
  }

  public void print() {
    System.out.printf("%nRoam chaos run (%s, %d cores, seed %d, %s)%n%n", LocalDateTime.now().withNano(0),
        Runtime.getRuntime().availableProcessors(), seed, network);
    String fmt = "%-16s %6s %8s %10s %16s %13s %11s%n";
    System.out.printf(fmt, "fault", "rounds", "skipped", "violations", "median serve ms", "max serve ms", "not serving");
    for (Row r : rows()) {
      System.out.printf(fmt, r.kind(), r.rounds(), r.skipped(), r.violations(), ms(r.medianMs()), ms(r.maxMs()), r.notServing());
    }
    System.out.printf("%nserve ms: from the fault's start (its own duration included) until every VM answered again%n");
    List<Violation> all = violations();
    if (all.isEmpty()) {
      System.out.printf("%nno violations%n");
    } else {
      System.out.printf("%n%d violation(s); replay with: ./roam chaos --seed %d --rounds %d%n", all.size(), seed, rounds.size());
      for (Round r : rounds) {
        for (Violation v : r.violations()) {
          System.out.printf("  round %d (%s): %s%n", r.plan().round(), r.plan().describe(), v);
        }
      }
    }
  }

  private static String ms(long v) {
    return v < 0 ? "-" : Long.toString(v);
  }

  /** Writes chaos-STAMP.csv and .json to {@code dir}; returns the CSV file. */
  public Path write(Path dir) throws IOException {
    Files.createDirectories(dir);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    StringBuilder csv = new StringBuilder("fault,rounds,skipped,violations,median_serve_again_ms,max_serve_again_ms,not_serving\n");
    for (Row r : rows()) {
      csv.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%d,%d%n", r.kind(), r.rounds(), r.skipped(), r.violations(),
          r.medianMs(), r.maxMs(), r.notServing()));
    }
    Path csvFile = dir.resolve("chaos-" + stamp + ".csv");
    Files.writeString(csvFile, csv);
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("seed", seed);
    root.put("network", network);
    root.set("rows", json.valueToTree(rows()));
    ArrayNode rs = root.putArray("rounds");
    for (Round r : rounds) {
      ObjectNode n = rs.addObject();
      n.put("round", r.plan().round());
      n.put("fault", r.plan().kind().name());
      n.put("plan", r.plan().describe());
      n.put("note", r.note());
      n.put("serveAgainMs", r.serveAgainMs());
      n.set("violations", json.valueToTree(r.violations()));
    }
    Files.writeString(dir.resolve("chaos-" + stamp + ".json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    System.out.println("\nwritten: " + csvFile + " and .json");
    return csvFile;
  }
}
