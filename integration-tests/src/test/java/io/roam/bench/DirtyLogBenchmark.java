package io.roam.bench;

import io.roam.agent.memory.DirtyPages;
import io.roam.agent.memory.GuestMemory;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The cost of software dirty tracking, measured side by side in one run:
 *
 * <ol>
 *   <li>write throughput of a page-write loop (and of an 8-byte-write loop) through {@link
 *       GuestMemory}, which marks the dirty log, against the same loop on a plain mapped buffer of
 *       the same tmpfs file kind; runs alternate A, B, A, B so that machine noise hits both;
 *   <li>the time to harvest the dirty log of a 4 GiB guest: clean, 1 % and 10 % of pages dirty.
 * </ol>
 *
 * Prints a table and writes CSV and JSON to {@code bench-results/}. Run: {@code ./roam bench dirty-log}.
 */
public final class DirtyLogBenchmark {
  private static final int PAGE = 4096;

  record Row(String benchmark, String variant, double value, String unit, String note) {}

  public static void main(String[] args) throws Exception {
    Path shm = Path.of(args.length > 0 ? args[0] : "/dev/shm");
    Path out = Path.of(args.length > 1 ? args[1] : "bench-results");
    Path dir = Files.createTempDirectory(shm, "roam-bench-");
    List<Row> rows = new ArrayList<>();
    try {
      writeLoops(dir, rows);
      harvest(dir, rows);
    } finally {
      try (var files = Files.list(dir)) {
        files.forEach(p -> p.toFile().delete());
      }
      Files.deleteIfExists(dir);
    }
    print(rows);
    write(rows, out);
  }

  // ---- write loops ----

  private static void writeLoops(Path dir, List<Row> rows) throws IOException {
    long size = 256L << 20;
    int pages = (int) (size / PAGE);
    try (GuestMemory tracked = GuestMemory.create(dir.resolve("tracked.mem"), size)) {
      MappedByteBuffer plain = mapPlain(dir.resolve("plain.mem"), size);
      byte[] page = new byte[PAGE];
      new SplittableRandom(1).nextBytes(page);
      int rounds = 7;
      double[] trackedPage = new double[rounds];
      double[] plainPage = new double[rounds];
      double[] trackedLong = new double[rounds];
      double[] plainLong = new double[rounds];
      int passes = 8; // 8 x 256 MiB per measurement
      // warm-up: JIT both paths and fault in every page of both files
      for (int i = 0; i < 3; i++) {
        pagesTracked(tracked, page, pages, 2);
        pagesPlain(plain, page, pages, 2);
        longsTracked(tracked, pages, 2);
        longsPlain(plain, pages, 2);
      }
      for (int r = 0; r < rounds; r++) {
        trackedPage[r] = pagesTracked(tracked, page, pages, passes);
        plainPage[r] = pagesPlain(plain, page, pages, passes);
        trackedLong[r] = longsTracked(tracked, pages, passes);
        plainLong[r] = longsPlain(plain, pages, passes);
        tracked.dirtyLog().harvest();
      }
      double tp = median(trackedPage);
      double pp = median(plainPage);
      rows.add(new Row("page-write loop (4 KiB writes, 256 MiB)", "plain mapped buffer", pp, "GB/s", ""));
      rows.add(new Row("page-write loop (4 KiB writes, 256 MiB)", "GuestMemory + dirty log", tp, "GB/s",
          String.format(Locale.ROOT, "overhead %.1f %% (target <= 15 %%)", (pp / tp - 1) * 100)));
      double tl = median(trackedLong);
      double pl = median(plainLong);
      rows.add(new Row("8-byte write per page (256 MiB)", "plain mapped buffer", pl, "M writes/s", ""));
      rows.add(new Row("8-byte write per page (256 MiB)", "GuestMemory + dirty log", tl, "M writes/s",
          String.format(Locale.ROOT, "overhead %.1f %% (one atomic OR per write)", (pl / tl - 1) * 100)));
    }
  }

  private static double pagesTracked(GuestMemory m, byte[] page, int pages, int passes) {
    long t0 = System.nanoTime();
    for (int p = 0; p < passes; p++) {
      for (long i = 0; i < pages; i++) {
        page[0] = (byte) i;
        m.write(i * PAGE, page, 0, PAGE);
      }
    }
    return (double) pages * PAGE * passes / (System.nanoTime() - t0);
  }

  private static double pagesPlain(MappedByteBuffer b, byte[] page, int pages, int passes) {
    long t0 = System.nanoTime();
    for (int p = 0; p < passes; p++) {
      for (int i = 0; i < pages; i++) {
        page[0] = (byte) i;
        b.put(i * PAGE, page, 0, PAGE);
      }
    }
    return (double) pages * PAGE * passes / (System.nanoTime() - t0);
  }

  private static double longsTracked(GuestMemory m, int pages, int passes) {
    long t0 = System.nanoTime();
    for (int p = 0; p < passes; p++) {
      for (long i = 0; i < pages; i++) {
        m.putLong(i * PAGE + 8, i + p);
      }
    }
    return (double) pages * passes * 1000 / (System.nanoTime() - t0);
  }

  private static double longsPlain(MappedByteBuffer b, int pages, int passes) {
    long t0 = System.nanoTime();
    for (int p = 0; p < passes; p++) {
      for (int i = 0; i < pages; i++) {
        b.putLong(i * PAGE + 8, i + p);
      }
    }
    return (double) pages * passes * 1000 / (System.nanoTime() - t0);
  }

  private static MappedByteBuffer mapPlain(Path file, long size) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(size);
      return raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, size);
    }
  }

  // ---- harvest ----

  private static void harvest(Path dir, List<Row> rows) {
    long size = 4L << 30;
    try (GuestMemory m = GuestMemory.create(dir.resolve("big.mem"), size)) {
      long pages = m.pageCount();
      for (double share : new double[] {0, 0.01, 0.10}) {
        long dirty = (long) (pages * share);
        long stride = dirty == 0 ? 0 : pages / dirty;
        double[] micros = new double[31];
        long found = 0;
        for (int r = -30; r < micros.length; r++) {
          for (long i = 0; i < dirty; i++) {
            m.putByte(i * stride * PAGE, (byte) r);
          }
          long t0 = System.nanoTime();
          DirtyPages d = m.dirtyLog().harvest();
          long took = System.nanoTime() - t0;
          found = d.count();
          if (r >= 0) {
            micros[r] = took / 1000.0;
          }
        }
        if (found != dirty) {
          throw new IllegalStateException("harvest found " + found + " pages, expected " + dirty);
        }
        rows.add(new Row("harvest of a 4 GiB guest's log (1,048,576 pages)",
            String.format(Locale.ROOT, "%.0f %% dirty (%d pages)", share * 100, dirty), median(micros) / 1000.0, "ms",
            "median of 31; target < 1 ms"));
      }
    }
  }

  // ---- output ----

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static void print(List<Row> rows) {
    System.out.printf("%nRoam dirty-log benchmark (%s, %d cores, Java %s)%n%n", LocalDateTime.now().withNano(0),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    String fmt = "%-48s %-26s %10s %-11s %s%n";
    System.out.printf(fmt, "benchmark", "variant", "value", "unit", "note");
    for (Row r : rows) {
      System.out.printf(fmt, r.benchmark(), r.variant(), String.format(Locale.ROOT, "%.3f", r.value()), r.unit(), r.note());
    }
  }

  private static void write(List<Row> rows, Path out) throws IOException {
    Files.createDirectories(out);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    StringBuilder csv = new StringBuilder("benchmark,variant,value,unit,note\n");
    StringBuilder json = new StringBuilder("[\n");
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      csv.append(String.format(Locale.ROOT, "\"%s\",\"%s\",%.6f,%s,\"%s\"%n", r.benchmark(), r.variant(), r.value(), r.unit(), r.note()));
      json.append(String.format(Locale.ROOT, "  {\"benchmark\": \"%s\", \"variant\": \"%s\", \"value\": %.6f, \"unit\": \"%s\", \"note\": \"%s\"}%s%n",
          r.benchmark(), r.variant(), r.value(), r.unit(), r.note(), i == rows.size() - 1 ? "" : ","));
    }
    json.append("]\n");
    Path csvFile = out.resolve("dirty-log-" + stamp + ".csv");
    Files.writeString(csvFile, csv);
    Files.writeString(out.resolve("dirty-log-" + stamp + ".json"), json);
    System.out.println("\nwritten: " + csvFile + " and .json");
  }
}
