package io.roam.agent.migration;

import java.util.Arrays;

/**
 * The CRC32C of every page of a guest memory as last sent (on the source) or received (on the
 * destination), with a digest of the whole table kept up to date on every change, so that the
 * switchover compares whole memories in O(1) inside the pause instead of rereading a table of a
 * million entries (4 GiB) on both sides.
 *
 * <p>The digest is the sum, modulo 2<sup>64</sup>, of a 64-bit mix of (page, crc) over all pages.
 * A sum can be updated by subtracting a page's old term and adding its new one; the mix (the
 * SplitMix64 finalizer) spreads every input bit over the result, so a wrong CRC at any page, or a
 * right CRC at the wrong page, changes the digest except with probability about 2<sup>-64</sup>.
 * It guards against bugs and torn data, not an adversary: the connection is authenticated (TLS or
 * a token on a host-checked connection), so nobody else writes either table.
 *
 * <p>Not thread-safe: one migration's sender (or receiver) thread owns it.
 */
final class PageCrcTable {
  private final int[] crcs;
  private long digest;

  /** A table of {@code pages} pages, every one a zero page (a fresh memory is all holes). */
  PageCrcTable(int pages) {
    crcs = new int[pages];
    Arrays.fill(crcs, Frames.ZERO_PAGE_CRC);
    long d = 0;
    for (int p = 0; p < pages; p++) {
      d += term(p, Frames.ZERO_PAGE_CRC);
    }
    digest = d;
  }

  int pages() {
    return crcs.length;
  }

  int get(long page) {
    return crcs[(int) page];
  }

  /** Records that {@code page} was last sent or received with checksum {@code crc}. O(1). */
  void set(long page, int crc) {
    int p = (int) page;
    int old = crcs[p];
    if (old != crc) {
      digest += term(p, crc) - term(p, old);
      crcs[p] = crc;
    }
  }

  /** The digest of the whole table, as it is now. O(1). */
  long digest() {
    return digest;
  }

  /** The digest computed from scratch (for tests: must always equal {@link #digest()}). */
  long recompute() {
    long d = 0;
    for (int p = 0; p < crcs.length; p++) {
      d += term(p, crcs[p]);
    }
    return d;
  }

  private static long term(int page, int crc) {
    long z = ((long) page << 32 | (crc & 0xffffffffL)) + 0x9e3779b97f4a7c15L;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
