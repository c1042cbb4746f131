package io.roam.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads the VMs' step witness logs ({@code <datastore>/.roam/witness/<vm>.log}, see StepWitness)
 * and finds two instances (host, pid) of one VM that stepped at overlapping times (DESIGN.md
 * invariant 1). Pure apart from reading the files; stateless.
 *
 * <p>Line format: {@code host pid fromMs toMs steps}, one line per run of steps (monotonic ms of the machine, shared by its processes, at
 * the start of the run's first step and the end of its last). Older logs have {@code host pid timeMs
 * steps} samples; for those an instance's interval is its first to its last sample.
 */
public final class WitnessChecker {
  private WitnessChecker() {}

  /** One interval in which one instance of a VM stepped. */
  public record Run(String host, long pid, long fromMs, long toMs, String line) {
    boolean sameInstance(Run o) {
      return host.equals(o.host) && pid == o.pid;
    }
  }

  /** The runs of each VM found on the datastore. */
  public static Map<String, List<Run>> read(Path datastore) throws IOException {
    Path dir = datastore.resolve(".roam").resolve("witness");
    Map<String, List<Run>> out = new LinkedHashMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        out.put(f.getFileName().toString().replaceFirst("\\.log$", ""), parse(Files.readAllLines(f)));
      }
    }
    return out;
  }

  /** Parses the lines of one VM's witness log; a line cut short by a crash is skipped. */
  public static List<Run> parse(List<String> lines) {
    List<Run> runs = new ArrayList<>();
    Map<String, Run> samples = new LinkedHashMap<>(); // old format: first..last sample per instance
    for (String line : lines) {
      String[] p = line.trim().split(" ");
      try {
        if (p.length == 5) {
          runs.add(new Run(p[0], Long.parseLong(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3]), line));
        } else if (p.length == 4) {
          long t = Long.parseLong(p[2]);
          samples.merge(p[0] + " " + p[1], new Run(p[0], Long.parseLong(p[1]), t, t, line),
              (a, b) -> new Run(a.host(), a.pid(), Math.min(a.fromMs(), t), Math.max(a.toMs(), t),
                  firstOf(a.line()) + " .. " + b.line()));
        }
      } catch (NumberFormatException e) {
        // a torn line
      }
    }
    runs.addAll(samples.values());
    return runs;
  }

  /** The first sample of a merged "first .. last" evidence line. */
  private static String firstOf(String line) {
    int dots = line.indexOf(" .. ");
    return dots < 0 ? line : line.substring(0, dots);
  }

  /** Every pair of runs of different instances whose intervals intersect (each pair once). */
  public static List<Violation> overlaps(String vm, List<Run> runs) {
    List<Run> sorted = new ArrayList<>(runs);
    sorted.sort(Comparator.comparingLong(Run::fromMs));
    List<Violation> out = new ArrayList<>();
    // Sweep by start; "active" holds runs that may still reach later starts.
    List<Run> active = new ArrayList<>();
    for (Run r : sorted) {
      active.removeIf(a -> a.toMs() < r.fromMs());
      for (Run a : active) {
        if (!a.sameInstance(r)) {
          out.add(new Violation("two-instances-stepping", vm, "instance " + a.host() + "/" + a.pid()
              + " stepped " + a.fromMs() + ".." + a.toMs() + " ms while instance " + r.host() + "/" + r.pid()
              + " stepped " + r.fromMs() + ".." + r.toMs() + " ms (witness lines: '" + a.line() + "', '" + r.line()
              + "')", a.host() + "/" + a.pid() + " " + r.host() + "/" + r.pid()));
        }
      }
      active.add(r);
    }
    return out;
  }

  public static List<Violation> check(Path datastore) throws IOException {
    List<Violation> out = new ArrayList<>();
    for (Map.Entry<String, List<Run>> e : read(datastore).entrySet()) {
      out.addAll(overlaps(e.getKey(), e.getValue()));
    }
    return out;
  }
}
