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
 * Reads the VMs' step witness logs on a datastore (see StepWitness) and checks DESIGN.md
 * invariant 1: no two instances (host, pid) of one VM ever stepped at overlapping times.
 */
final class WitnessLog {
  private WitnessLog() {}

  /** One VM instance's stepping, from its first to its last witness line. */
  record Instance(String vm, String host, long pid, long firstMs, long lastMs, long lines) {}

  static Map<String, List<Instance>> read(Path datastore) throws IOException {
    Path dir = datastore.resolve(".roam").resolve("witness");
    Map<String, List<Instance>> out = new LinkedHashMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        String vm = f.getFileName().toString().replace(".log", "");
        Map<String, long[]> byInstance = new LinkedHashMap<>();
        for (String line : Files.readAllLines(f)) {
          String[] p = line.trim().split(" ");
          if (p.length < 3) {
            continue; // a line cut by a crash mid-write
          }
          long t = Long.parseLong(p[2]);
          long[] span = byInstance.computeIfAbsent(p[0] + " " + p[1], k -> new long[] {t, t, 0});
          span[0] = Math.min(span[0], t);
          span[1] = Math.max(span[1], t);
          span[2]++;
        }
        List<Instance> list = new ArrayList<>();
        byInstance.forEach((k, span) -> {
          String[] hp = k.split(" ");
          list.add(new Instance(vm, hp[0], Long.parseLong(hp[1]), span[0], span[1], span[2]));
        });
        list.sort(Comparator.comparingLong(Instance::firstMs));
        out.put(vm, list);
      }
    }
    return out;
  }

  /** Asserts that no VM ran twice at once; returns how many instances were seen in all. */
  static int assertNoOverlap(Path datastore) throws IOException {
    int instances = 0;
    for (Map.Entry<String, List<Instance>> e : read(datastore).entrySet()) {
      List<Instance> list = e.getValue();
      instances += list.size();
      for (int i = 1; i < list.size(); i++) {
        Instance before = list.get(i - 1);
        Instance after = list.get(i);
        assertThat(after.firstMs()).as("VM %s: instance %s/%d stepped from %d while %s/%d still stepped until %d",
            e.getKey(), after.host(), after.pid(), after.firstMs(), before.host(), before.pid(), before.lastMs())
            .isGreaterThan(before.lastMs());
      }
    }
    return instances;
  }
}
