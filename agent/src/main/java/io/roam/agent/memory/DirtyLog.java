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
 * <p>Beside it, in the same file, the <em>written</em> bitmap: the pages that may hold anything but
 * zeros (DESIGN.md "Memory never written"). A page becomes written in one of two ways only: its
 * dirty bit is harvested (every harvest, by whoever, ORs what it clears into the written bitmap
 * before it clears it), or the agent fills it directly ({@link #markWritten}, before the bytes go
 * in). Its bits are never cleared while the file exists; a fresh file (a new VM, a restart by HA,
 * a migration's destination) starts with none. So at any moment {@code written ∪ dirty} holds
 * every page ever written since the file was created, and a page outside it is a hole: all zeros,
 * never allocated.
 *
 * <p>Thread-safety: any number of marking threads and processes; one harvester at a time (the
 * agent), and the written set is read on the harvester's side. A bit moves from dirty to written
 * with the written OR first, then the clear, so a reader that reads a word's dirty bits, then its
 * written bits, sees every page whose bit was set before the harvest read the word.
 */
public final class DirtyLog {
  private static final VarHandle WORDS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

  private final MappedByteBuffer bitmap;
  private final MappedByteBuffer written;
  private final long pageCount;
  private final int wordCount;

  DirtyLog(MappedByteBuffer bitmap, MappedByteBuffer written, long pageCount) {
    this.bitmap = bitmap;
    this.written = written;
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
   * Marks pages {@code first..last} (inclusive) written without marking them dirty: for bytes the
   * agent puts into memory itself (a migration's destination). Called before the bytes go in, so
   * that a page that is not marked is never one that holds data.
   */
  void markWritten(long first, long last) {
    for (long page = first; page <= last; page++) {
      WORDS.getAndBitwiseOrRelease(written, (int) (page >>> 6) << 3, 1L << (page & 63));
    }
  }

  /**
   * Returns the pages dirtied since the last harvest and clears their bits. Words that read as
   * zero are skipped without an atomic operation: a bit set after that read is found by the next
   * harvest, so skipping is safe and keeps a mostly clean 4 GiB log cheap to scan. Every page it
   * returns is in the written set from then on.
   */
  public DirtyPages harvest() {
    long[] words = new long[wordCount];
    long count = 0;
    for (int w = 0; w < wordCount; w++) {
      int index = w << 3;
      long seen = (long) WORDS.getOpaque(bitmap, index);
      if (seen != 0) {
        // Written first, then cleared: a bit seen here is never in neither bitmap.
        WORDS.getAndBitwiseOrRelease(written, index, seen);
        long bits = (long) WORDS.getAndSet(bitmap, index, 0L);
        long late = bits & ~seen; // set between the read and the clear
        if (late != 0) {
          WORDS.getAndBitwiseOrRelease(written, index, late);
        }
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

  /**
   * Every page written since the memory file was created: the written set and the pages dirty now
   * (not cleared). A page outside it is all zeros. Pages written while this runs may or may not be
   * in it; they are dirty, and a later harvest finds them.
   */
  public DirtyPages writtenPages() {
    long[] words = new long[wordCount];
    long count = 0;
    for (int w = 0; w < wordCount; w++) {
      int index = w << 3;
      long bits = (long) WORDS.getAcquire(bitmap, index) | (long) WORDS.getAcquire(written, index);
      words[w] = bits;
      count += Long.bitCount(bits);
    }
    return new DirtyPages(words, count);
  }

  /** False only when the page was never written since the file was created: then it is all zeros. */
  public boolean mayBeWritten(long page) {
    int index = (int) (page >>> 6) << 3;
    long bit = 1L << (page & 63);
    return (((long) WORDS.getAcquire(bitmap, index) | (long) WORDS.getAcquire(written, index)) & bit) != 0;
  }
}
