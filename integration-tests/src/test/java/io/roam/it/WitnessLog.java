package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Reads the VMs' step witness logs on a datastore (see StepWitness: one line {@code host pid fromMs
 * toMs steps} per run of steps) and checks DESIGN.md invariant 1: no two instances (host, pid) of
 * one VM ever stepped at overlapping times, comparing the recorded intervals themselves.
 */
final class WitnessLog {
  private WitnessLog() {}

  /** One run of steps of one instance. */
  record Run(String instance, long fromMs, long toMs, long steps) {}

  /** One VM instance's stepping, from its first run's start to its last run's end. */
  record Instance(String vm, String host, long pid, long firstMs, long lastMs, long lines) {}

  static Map<String, List<Run>> runs(Path datastore) throws IOException {
    Path dir = datastore.resolve(".roam").resolve("witness");
    Map<String, List<Run>> out = new LinkedHashMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        List<Run> runs = new ArrayList<>();
        for (String line : Files.readAllLines(f)) {
          String[] p = line.trim().split(" ");
          if (p.length != 5) {
            continue; // a line cut by a crash mid-write
          }
          runs.add(new Run(p[0] + " " + p[1], Long.parseLong(p[2]), Long.parseLong(p[3]), Long.parseLong(p[4])));
        }
        out.put(f.getFileName().toString().replace(".log", ""), runs);
      }
    }
    return out;
  }

  static Map<String, List<Instance>> read(Path datastore) throws IOException {
    Map<String, List<Instance>> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<Run>> e : runs(datastore).entrySet()) {
      Map<String, long[]> byInstance = new LinkedHashMap<>();
      for (Run r : e.getValue()) {
        long[] span = byInstance.computeIfAbsent(r.instance(), k -> new long[] {r.fromMs(), r.toMs(), 0});
        span[0] = Math.min(span[0], r.fromMs());
        span[1] = Math.max(span[1], r.toMs());
        span[2]++;
      }
      List<Instance> list = new ArrayList<>();
      byInstance.forEach((k, span) -> {
        String[] hp = k.split(" ");
        list.add(new Instance(e.getKey(), hp[0], Long.parseLong(hp[1]), span[0], span[1], span[2]));
      });
      list.sort(Comparator.comparingLong(Instance::firstMs));
      out.put(e.getKey(), list);
    }
    return out;
  }

  /**
   * Asserts that no run of one instance of a VM overlaps a run of another instance of it (an
   * instance may stop and go on stepping, e.g. across a pause; another may step in its gap only if
   * it never steps at the same time). Returns how many instances were seen in all.
   */
  static int assertNoOverlap(Path datastore) throws IOException {
    int instances = 0;
    for (Map.Entry<String, List<Run>> e : runs(datastore).entrySet()) {
      List<Run> runs = new ArrayList<>(e.getValue());
      runs.sort(Comparator.comparingLong(Run::fromMs));
      instances += (int) runs.stream().map(Run::instance).distinct().count();
      // Sweep by start time, keeping the run that reaches furthest and the furthest of another instance.
      Run far = null;
      Run farOther = null;
      for (Run r : runs) {
        Run rival = far == null ? null : far.instance().equals(r.instance()) ? farOther : far;
        if (rival != null) {
          assertThat(r.fromMs()).as("VM %s: %s stepped from %d to %d while %s stepped from %d to %d", e.getKey(),
              r.instance(), r.fromMs(), r.toMs(), rival.instance(), rival.fromMs(), rival.toMs())
              .isGreaterThan(rival.toMs());
        }
        if (far == null || r.toMs() > far.toMs()) {
          if (far != null && !far.instance().equals(r.instance())) {
            farOther = far;
          }
          far = r;
        } else if (!r.instance().equals(far.instance()) && (farOther == null || r.toMs() > farOther.toMs())) {
          farOther = r;
        }
      }
    }
    return instances;
  }
}
