package io.roam.agent.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;

/**
 * One bit per guest page, in the shared mapping. Writers (the VM process) set a page's bit after
 * writing the page; the harvester (the agent) reads and clears whole 64-bit words atomically.
 *
 * <p>Why no change is missed: a writer stores its data, then sets the bit with release semantics
 * (an atomic OR). The harvester clears a word with an atomic get-and-set and only then copies the
 * pages it names. If the OR comes before the clear, the clear synchronizes with it and the copy
 * sees the data; if it comes after, the bit stays set and the next harvest sends the page again.
 *
 * <p>Thread-safety: any number of marking threads and processes; one harvester at a time.
 */
public final class DirtyLog {
  private static final VarHandle WORDS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

  private final MappedByteBuffer bitmap;
  private final long pageCount;
  private final int wordCount;

  DirtyLog(MappedByteBuffer bitmap, long pageCount) {
    this.bitmap = bitmap;
    this.pageCount = pageCount;
    this.wordCount = (int) ((pageCount + 63) / 64);
  }

  public long pageCount() {
    return pageCount;
  }

  /** Marks pages {@code first..last} (inclusive) dirty; called after their bytes were written. */
  void mark(long first, long last) {
    for (long page = first; page <= last; page++) {
      WORDS.getAndBitwiseOrRelease(bitmap, (int) (page >>> 6) << 3, 1L << (page & 63));
    }
  }

  /**
   * Returns the pages dirtied since the last harvest and clears their bits. Words that read as
   * zero are skipped without an atomic operation: a bit set after that read is found by the next
   * harvest, so skipping is safe and keeps a mostly clean 4 GiB log cheap to scan.
   */
  public DirtyPages harvest() {
    long[] words = new long[wordCount];
    long count = 0;
    for (int w = 0; w < wordCount; w++) {
      int index = w << 3;
      if ((long) WORDS.getOpaque(bitmap, index) != 0) {
        long bits = (long) WORDS.getAndSet(bitmap, index, 0L);
        words[w] = bits;
        count += Long.bitCount(bits);
      }
    }
    return new DirtyPages(words, count);
  }

  /** Counts dirty pages without clearing them. */
  public long countDirty() {
    long count = 0;
    for (int w = 0; w < wordCount; w++) {
      count += Long.bitCount((long) WORDS.getOpaque(bitmap, w << 3));
    }
    return count;
  }
}
