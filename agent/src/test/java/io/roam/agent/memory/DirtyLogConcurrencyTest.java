package io.roam.agent.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dirty log's promise, checked the way migration relies on it: a copy assembled only from
 * harvested pages (harvest, then copy what it named), while writers keep writing, equals the
 * memory once the writers have stopped and a last harvest has been applied.
 */
class DirtyLogConcurrencyTest {
  @TempDir Path dir;

  @Test
  void aCopyBuiltOnlyFromHarvestedPagesMissesNoWrite() throws Exception {
    Path file = dir.resolve("vm.mem");
    try (GuestMemory source = GuestMemory.create(file, 32L << 20);
        GuestMemory harvesterView = GuestMemory.open(file);
        GuestMemory copy = GuestMemory.create(dir.resolve("copy.mem"), 32L << 20)) {
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> writers = new ArrayList<>();
      long pages = source.pageCount();
      for (int t = 0; t < 3; t++) {
        int seed = t;
        Thread w = new Thread(() -> {
          SplittableRandom rnd = new SplittableRandom(seed);
          long counter = 0;
          while (!stop.get()) {
            long page = rnd.nextLong(pages);
            // Mixed widths and offsets, including writes that span two pages.
            switch ((int) (counter % 3)) {
              case 0 -> source.putLong(page * 4096 + rnd.nextInt(512) * 8, ++counter);
              case 1 -> source.putInt(page * 4096 + rnd.nextInt(1024) * 4, (int) ++counter);
              default -> {
                byte[] b = new byte[100];
                rnd.nextBytes(b);
                long addr = Math.min(page * 4096 + 4050, source.size() - b.length);
                source.write(addr, b, 0, b.length);
                ++counter;
              }
            }
          }
        }, "writer-" + t);
        writers.add(w);
        w.start();
      }

      int rounds = 0;
      long copied = 0;
      // Harvest for a while and at least six rounds, over at least half the pages: counted, not
      // timed, so a crowded machine only makes it take longer.
      long minimum = System.nanoTime() + 1_500_000_000L;
      long giveUp = System.nanoTime() + 120_000_000_000L;
      while (System.nanoTime() < minimum || rounds < 6 || copied <= pages / 2) {
        assertThat(System.nanoTime()).as("six harvest rounds over half the pages within 120 s").isLessThan(giveUp);
        copied += copyHarvested(harvesterView, copy);
        rounds++;
      }
      stop.set(true);
      for (Thread w : writers) {
        w.join();
      }
      copied += copyHarvested(harvesterView, copy);

      assertThat(copy.digest()).as("copy assembled from harvested pages equals memory").isEqualTo(source.digest());
      for (long p = 0; p < pages; p++) {
        ByteBuffer a = source.pageView(p);
        ByteBuffer b = copy.pageView(p);
        assertThat(a.mismatch(b)).as("page %d", p).isEqualTo(-1);
      }
    }
  }

  private static long copyHarvested(GuestMemory from, GuestMemory to) {
    DirtyPages dirty = from.dirtyLog().harvest();
    dirty.forEach(page -> to.loadPage(page, from.pageView(page)));
    return dirty.count();
  }
}
