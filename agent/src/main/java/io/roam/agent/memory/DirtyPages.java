package io.roam.agent.memory;

import java.util.function.LongConsumer;

/** An immutable set of page numbers, as harvested from a {@link DirtyLog}: one bit per page. */
public final class DirtyPages {
  private final long[] words;
  private final long count;

  DirtyPages(long[] words, long count) {
    this.words = words;
    this.count = count;
  }

  public static DirtyPages empty(long pageCount) {
    return new DirtyPages(new long[(int) ((pageCount + 63) / 64)], 0);
  }

  public long count() {
    return count;
  }

  public boolean isEmpty() {
    return count == 0;
  }

  public boolean contains(long page) {
    return (words[(int) (page >>> 6)] & (1L << (page & 63))) != 0;
  }

  /** Calls {@code action} for every page in the set, in ascending order. */
  public void forEach(LongConsumer action) {
    for (int w = 0; w < words.length; w++) {
      long bits = words[w];
      while (bits != 0) {
        int b = Long.numberOfTrailingZeros(bits);
        action.accept(((long) w << 6) + b);
        bits &= bits - 1;
      }
    }
  }

  /** The union of this set and {@code other} (same page count). */
  public DirtyPages union(DirtyPages other) {
    long[] out = new long[words.length];
    long n = 0;
    for (int i = 0; i < out.length; i++) {
      out[i] = words[i] | other.words[i];
      n += Long.bitCount(out[i]);
    }
    return new DirtyPages(out, n);
  }
}
