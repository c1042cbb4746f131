package io.roam.agent.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestMemoryTest {
  private static final long MIB = 1 << 20;
  @TempDir Path dir;

  @Test
  void writesAreReadBackAndMarkTheirPagesDirty() {
    try (GuestMemory m = GuestMemory.create(dir.resolve("vm.mem"), 16 * MIB)) {
      assertThat(m.pageCount()).isEqualTo(4096);
      m.putLong(8192, 42L);
      m.putInt(4096 * 5 + 100, 7);
      m.putByte(0, (byte) 9);
      byte[] span = new byte[5000];
      java.util.Arrays.fill(span, (byte) 3);
      m.write(4096 * 10 + 4000, span, 0, span.length); // pages 10, 11 and 12

      assertThat(m.getLong(8192)).isEqualTo(42L);
      assertThat(m.getInt(4096 * 5 + 100)).isEqualTo(7);
      assertThat(m.getByte(0)).isEqualTo((byte) 9);
      byte[] back = new byte[5000];
      m.read(4096 * 10 + 4000, back, 0, back.length);
      assertThat(back).isEqualTo(span);

      DirtyPages dirty = m.dirtyLog().harvest();
      List<Long> pages = new ArrayList<>();
      dirty.forEach(pages::add);
      assertThat(pages).containsExactly(0L, 2L, 5L, 10L, 11L, 12L);
      assertThat(dirty.count()).isEqualTo(6);
      assertThat(m.dirtyLog().harvest().isEmpty()).as("harvest clears the log").isTrue();
    }
  }

  @Test
  void aSecondMappingOfTheSameFileSeesWritesAndDirtyBits() {
    Path file = dir.resolve("shared.mem");
    try (GuestMemory guest = GuestMemory.create(file, 16 * MIB); GuestMemory agent = GuestMemory.open(file)) {
      guest.putLong(4096 * 100, 0xCAFEL);
      assertThat(agent.getLong(4096 * 100)).isEqualTo(0xCAFEL);
      assertThat(agent.dirtyLog().harvest().contains(100)).isTrue();
      agent.header().renewLease(12345L);
      assertThat(guest.header().leaseDeadline()).isEqualTo(12345L);
    }
  }

  @Test
  void pagesWrittenIntoTheFileAreSeenThroughEveryMappingAndNotMarkedDirty() throws Exception {
    Path file = dir.resolve("incoming.mem");
    try (GuestMemory m = GuestMemory.create(file, 16 * MIB); GuestMemory guest = GuestMemory.open(file)) {
      ByteBuffer run = ByteBuffer.allocateDirect(3 * 4096);
      for (int i = 0; i < run.capacity(); i++) {
        run.put(i, (byte) (i * 7 + 1));
      }
      m.writePages(100, run);
      assertThat(run.remaining()).as("the caller's buffer is left as it was").isEqualTo(3 * 4096);
      for (int i = 0; i < 3 * 4096; i += 511) {
        assertThat(guest.getByte(100L * 4096 + i)).isEqualTo((byte) (i * 7 + 1));
      }
      assertThat(guest.getByte(99L * 4096 + 4095)).isZero();
      assertThat(guest.getByte(103L * 4096)).isZero();
      assertThat(m.dirtyLog().harvest().isEmpty()).as("not marked dirty").isTrue();
      assertThatThrownBy(() -> m.writePages(4095, ByteBuffer.allocateDirect(2 * 4096)))
          .isInstanceOf(GuestMemoryException.class).hasMessageContaining("outside guest memory");
      assertThatThrownBy(() -> m.writePages(0, ByteBuffer.allocateDirect(100)))
          .isInstanceOf(GuestMemoryException.class).hasMessageContaining("4096 bytes each");
    }
  }

  @Test
  void outOfRangeAccessesAreRefusedNotWrapped() {
    try (GuestMemory m = GuestMemory.create(dir.resolve("vm.mem"), 16 * MIB)) {
      long size = m.size();
      assertThatThrownBy(() -> m.putLong(size - 4, 1)).isInstanceOf(GuestMemoryException.class)
          .hasMessageContaining("outside guest memory");
      assertThatThrownBy(() -> m.getByte(-1)).isInstanceOf(GuestMemoryException.class);
      assertThatThrownBy(() -> m.getInt(size)).isInstanceOf(GuestMemoryException.class);
      assertThatThrownBy(() -> m.write(Long.MAX_VALUE - 2, new byte[8], 0, 8)).isInstanceOf(GuestMemoryException.class);
      assertThatThrownBy(() -> m.pageView(m.pageCount())).isInstanceOf(GuestMemoryException.class);
      assertThat(m.dirtyLog().countDirty()).as("a refused write marks nothing").isZero();
    }
  }

  @Test
  void sizesOutsideTheRangeOrNotWholePagesAreRefused() {
    assertThatThrownBy(() -> GuestMemory.create(dir.resolve("a"), 0)).hasMessageContaining("out of range");
    assertThatThrownBy(() -> GuestMemory.create(dir.resolve("b"), 8 * MIB)).hasMessageContaining("out of range");
    assertThatThrownBy(() -> GuestMemory.create(dir.resolve("c"), 16 * MIB + 100)).hasMessageContaining("multiple of the 4 KiB");
  }

  @Test
  void aCorruptHeaderIsReportedClearly() throws Exception {
    Path file = dir.resolve("vm.mem");
    GuestMemory.create(file, 16 * MIB).close();
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(0);
      raf.writeLong(0x1234);
    }
    assertThatThrownBy(() -> GuestMemory.open(file)).isInstanceOf(GuestMemoryException.class).hasMessageContaining("bad magic");

    Path truncated = dir.resolve("short.mem");
    GuestMemory.create(truncated, 16 * MIB).close();
    try (RandomAccessFile raf = new RandomAccessFile(truncated.toFile(), "rw")) {
      raf.setLength(raf.length() - 4096);
    }
    assertThatThrownBy(() -> GuestMemory.open(truncated)).hasMessageContaining("header says 4096 pages");

    Path tiny = dir.resolve("tiny.mem");
    Files.write(tiny, new byte[10]);
    assertThatThrownBy(() -> GuestMemory.open(tiny)).hasMessageContaining("smaller than its header");
  }

  @Test
  void memoryOfNineGibSpansChunksCorrectly() {
    // 9 GiB (above the 8 GiB the design asks for) of sparse file: only touched pages cost memory.
    long size = 9L << 30;
    try (GuestMemory m = GuestMemory.create(dir.resolve("big.mem"), size)) {
      long boundary = GuestMemory.CHUNK_SIZE; // 1 GiB: the first chunk ends here
      m.putLong(boundary - 4, 0x0102030405060708L); // straddles chunks 0 and 1
      assertThat(m.getLong(boundary - 4)).isEqualTo(0x0102030405060708L);
      m.putLong(size - 8, -1L);
      assertThat(m.getLong(size - 8)).isEqualTo(-1L);
      DirtyPages d = m.dirtyLog().harvest();
      assertThat(d.count()).isEqualTo(3);
      assertThat(d.contains((boundary - 4) >>> 12)).isTrue();
      assertThat(d.contains(boundary >>> 12)).isTrue();
      assertThat(d.contains(m.pageCount() - 1)).isTrue();
    }
  }

  @Test
  void loadPageFillsWithoutDirtyingAndDigestsCompareContents() {
    try (GuestMemory a = GuestMemory.create(dir.resolve("a.mem"), 16 * MIB);
        GuestMemory b = GuestMemory.create(dir.resolve("b.mem"), 16 * MIB)) {
      a.putLong(4096 * 3, 77);
      assertThat(a.isZeroPage(3)).isFalse();
      assertThat(a.isZeroPage(4)).isTrue();
      assertThat(a.digest()).isNotEqualTo(b.digest());
      b.loadPage(3, a.pageView(3));
      assertThat(b.digest()).isEqualTo(a.digest());
      assertThat(b.dirtyLog().countDirty()).isZero();
      assertThatThrownBy(() -> b.loadPage(1, ByteBuffer.allocate(10))).hasMessageContaining("a page is 4096 bytes");
    }
  }

  @Test
  void theWrittenSetHoldsEveryPageEverWrittenAcrossHarvestsAndMappings() throws Exception {
    Path file = dir.resolve("written.mem");
    try (GuestMemory agent = GuestMemory.create(file, 16 * MIB); GuestMemory guest = GuestMemory.open(file)) {
      assertThat(agent.dirtyLog().writtenPages().isEmpty()).as("a fresh file: nothing written").isTrue();
      guest.putLong(4096 * 1, 1);
      assertThat(pages(agent.dirtyLog().writtenPages())).as("written before any harvest: still dirty").containsExactly(1L);
      guest.putLong(4096 * 5, 5);
      agent.dirtyLog().harvest();
      guest.putLong(4096 * 9, 9);
      guest.putLong(4096 * 5, 0); // zero again, but written: a superset is safe, a subset never
      assertThat(pages(agent.dirtyLog().writtenPages())).containsExactly(1L, 5L, 9L);
      agent.dirtyLog().harvest();
      assertThat(agent.dirtyLog().harvest().isEmpty()).isTrue();
      assertThat(pages(guest.dirtyLog().writtenPages())).as("kept in the file, seen by every mapping")
          .containsExactly(1L, 5L, 9L);
      // A harvest from another mapping of the file counts too.
      agent.putLong(4096 * 12, 12);
      guest.dirtyLog().harvest();
      assertThat(agent.dirtyLog().writtenPages().contains(12)).isTrue();

      // What the agent puts in itself (a migration's destination) is written, not dirty.
      agent.writePages(100, ByteBuffer.allocateDirect(2 * 4096));
      agent.loadPage(200, ByteBuffer.allocate(4096));
      assertThat(agent.dirtyLog().countDirty()).isZero();
      assertThat(pages(agent.dirtyLog().writtenPages())).containsExactly(1L, 5L, 9L, 12L, 100L, 101L, 200L);
      assertThat(agent.dirtyLog().mayBeWritten(100)).isTrue();
      assertThat(agent.dirtyLog().mayBeWritten(102)).isFalse();
    }
    try (GuestMemory fresh = GuestMemory.create(file, 16 * MIB)) {
      assertThat(fresh.dirtyLog().writtenPages().isEmpty()).as("a new file (a restart) starts with nothing written").isTrue();
    }
  }

  @Test
  void digestsAndZeroChecksOfNeverWrittenPagesLeaveThemUnallocated() throws Exception {
    Path shm = Path.of("/dev/shm");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "needs tmpfs at /dev/shm");
    Path file = Files.createTempFile(shm, "roam-guest-memory-test", ".mem");
    try (GuestMemory m = GuestMemory.create(file, 64 * MIB)) {
      m.putLong(4096 * 7, 7);
      m.dirtyLog().writtenPages(); // reads the bitmaps once: their pages are allocated from here on
      long before = AllocatedBytes.of(file);
      for (long p = 0; p < m.pageCount(); p++) {
        assertThat(m.isZeroPage(p)).isEqualTo(p != 7);
      }
      long digest = m.digest();
      assertThat(AllocatedBytes.of(file)).as("no hole was allocated by reading it").isEqualTo(before);
      assertThat(before).isLessThan(1 * MIB);
      try (GuestMemory other = GuestMemory.create(dir.resolve("other.mem"), 64 * MIB)) {
        other.write(4096 * 7, new byte[] {7, 0, 0, 0, 0, 0, 0, 0}, 0, 8);
        assertThat(other.digest()).as("the digest still covers every page's bytes").isEqualTo(digest);
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static List<Long> pages(DirtyPages set) {
    List<Long> out = new ArrayList<>();
    set.forEach(out::add);
    return out;
  }
}
