package io.roam.agent.guest.programs;

import static io.roam.agent.guest.programs.KvHarness.diskArgs;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 9, windows 5 and 6: the kv log is framed, bounded, streamed, and a torn tail costs nothing acknowledged. */
class KvWalTest {
  @TempDir Path dir;

  private Path disk() {
    return dir.resolve("datastore/vms/shop");
  }

  private static Path newestLog(Path disk) throws IOException {
    try (Stream<Path> files = Files.list(disk)) {
      return files.filter(f -> f.getFileName().toString().startsWith(KvWal.LOG)).sorted().reduce((a, b) -> b).orElseThrow();
    }
  }

  /** Half of a record, as a write cut by a crash leaves it. */
  private static void appendTornRecord(Path log) throws IOException {
    ByteBuffer frame = KvLogFormat.batch(1, 0, List.of("PUT torn never-acknowledged"));
    frame.limit(frame.limit() / 2);
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ch.write(frame);
    }
  }

  @Test
  void aTornLastRecordDoesNotSwallowTheNextAcknowledgedWriteAfterAFreshBoot() throws Exception {
    try (KvHarness first = KvHarness.boot(dir.resolve("1.mem"), disk(), 1, diskArgs())) {
      assertThat(first.call("PUT a 1")).isEqualTo("OK");
    }
    appendTornRecord(newestLog(disk()));
    try (KvHarness second = KvHarness.boot(dir.resolve("2.mem"), disk(), 2, diskArgs())) {
      assertThat(second.call("GET a")).isEqualTo("VALUE 1");
      assertThat(second.call("PUT b 2")).isEqualTo("OK");
    }
    assertThat(KvReplay.table(disk())).isEqualTo(Map.of("a", "1", "b", "2"));
  }

  @Test
  void aTornTailOnTheSourceDoesNotSwallowTheDestinationsFirstWrite() throws Exception {
    Path source = dir.resolve("source.mem");
    try (KvHarness src = KvHarness.boot(source, disk(), 1, diskArgs())) {
      assertThat(src.call("PUT a 1")).isEqualTo("OK");
      appendTornRecord(newestLog(disk()));
      Files.copy(source, dir.resolve("dest.mem"), StandardCopyOption.REPLACE_EXISTING);
    }
    try (KvHarness dest = KvHarness.resume(dir.resolve("dest.mem"), disk(), 2, diskArgs())) {
      assertThat(dest.call("PUT c 3")).isEqualTo("OK");
    }
    assertThat(KvReplay.table(disk())).isEqualTo(Map.of("a", "1", "c", "3"));
  }

  @Test
  void theDiskStaysBoundedAndASnapshotPlusItsLogRebuildsTheTable() throws Exception {
    Map<String, String> model = new HashMap<>();
    long segmentBytes = 8 << 10;
    try (KvHarness vm = KvHarness.boot(dir.resolve("1.mem"), disk(), 1, diskArgs("wal-segment-bytes", "8KiB"));
        KvHarness.Client c = vm.connect()) {
      for (int i = 0; i < 800; i++) {
        String key = "k" + (i % 50);
        String value = "v" + i + "-" + "x".repeat(100);
        assertThat(c.call("R 3 " + (i + 1) + " PUT " + key + " " + value)).isEqualTo("OK");
        model.put(key, value);
        if (i % 50 == 0) {
          assertBounded(segmentBytes);
        }
      }
      assertBounded(segmentBytes);
    }
    assertThat(KvReplay.table(disk())).isEqualTo(model);
    try (KvHarness again = KvHarness.boot(dir.resolve("2.mem"), disk(), 2, diskArgs("wal-segment-bytes", "8KiB"))) {
      for (Map.Entry<String, String> e : model.entrySet()) {
        assertThat(again.call("GET " + e.getKey())).isEqualTo("VALUE " + e.getValue());
      }
      // The session came back from the snapshot too: a retry of the last request is not applied again.
      assertThat(again.call("R 3 800 PUT k49 changed")).isEqualTo("OK");
      assertThat(again.call("GET k49")).isEqualTo("VALUE " + model.get("k49"));
    }
  }

  /** One snapshot and one segment; the segment at most a batch past its limit; the snapshot the size of the table. */
  private void assertBounded(long segmentBytes) throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(disk())) {
      s.forEach(files::add);
    }
    assertThat(files).hasSize(2);
    for (Path f : files) {
      long limit = f.getFileName().toString().startsWith(KvWal.LOG) ? segmentBytes + 1024 : 50 * 200 + 4096;
      assertThat(Files.size(f)).as("%s", f.getFileName()).isLessThanOrEqualTo(limit);
    }
  }

  @Test
  void aLogOfMoreThan64MiBOfWritesBootsInA32MiBHeap() throws Exception {
    // The disk as a long-running VM with snapshots far apart leaves it: one segment of 70 MiB.
    try (KvHarness vm = KvHarness.boot(dir.resolve("1.mem"), disk(), 1, diskArgs())) {
      assertThat(vm.call("PUT first 1")).isEqualTo("OK");
    }
    Path log = newestLog(disk());
    long[] es = KvWal.parse(log.getFileName().toString(), KvWal.LOG);
    String value = "y".repeat(360);
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      long written = 0;
      for (int batch = 0; written < 70L << 20; batch++) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
          lines.add("PUT k" + (i % 1000) + " " + batch + value);
        }
        ByteBuffer b = KvLogFormat.batch(es[0], 0, lines);
        written += b.remaining();
        while (b.hasRemaining()) {
          ch.write(b);
        }
      }
    }
    assertThat(Files.size(log)).isGreaterThan(64L << 20);

    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx32m",
        "-cp", System.getProperty("java.class.path"), BootInSmallHeap.class.getName(), disk().toString(),
        dir.resolve("2.mem").toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out).contains("entries=1001");
  }
}
