package io.roam.agent.migration;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.roam.agent.memory.GuestMemory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One FT checkpoint arriving on the secondary (DESIGN.md "Fault tolerance"): its pages wait here,
 * each checked against the checksum the primary took when it captured the page, and go into the
 * VM's memory only once the whole checkpoint has arrived and the page-checksum table with them
 * matches the primary's digest. A checkpoint cut short (the primary died, the connection broke) or
 * one that does not match is dropped, so the secondary's memory is always one whole checkpoint.
 *
 * <p>The primary captures pages while its VM is paused and sends the copies, so a page can never
 * change in flight here (unlike a migration's pre-copy): a mismatch is corruption.
 *
 * <p>Thread-safety: none; the connection's event loop only.
 */
final class CheckpointStage {
  final long checkpoint;
  private long[] pages = new long[Frames.BATCH];
  private int[] crcs = new int[Frames.BATCH];
  private int n;
  private final ByteBuf bytes = PooledByteBufAllocator.DEFAULT.directBuffer(Frames.BATCH * Frames.PAGE);

  CheckpointStage(long checkpoint) {
    this.checkpoint = checkpoint;
  }

  /** Keeps one page (its bytes at {@code src}'s position, one page long) with its checksum. */
  void add(long page, ByteBuffer src, int crc) {
    if (n == pages.length) {
      pages = Arrays.copyOf(pages, n * 2);
      crcs = Arrays.copyOf(crcs, n * 2);
    }
    pages[n] = page;
    crcs[n] = crc;
    n++;
    bytes.writeBytes(src.duplicate().limit(src.position() + Frames.PAGE));
  }

  int pageCount() {
    return n;
  }

  /**
   * Writes the checkpoint into {@code memory} if, with its pages' checksums, {@code table} has the
   * primary's digest; otherwise leaves both untouched and returns false.
   */
  boolean apply(PageCrcTable table, long primaryDigest, GuestMemory memory) throws IOException {
    int[] before = new int[n];
    for (int i = 0; i < n; i++) {
      before[i] = table.get(pages[i]);
      table.set(pages[i], crcs[i]);
    }
    if (table.digest() != primaryDigest) {
      for (int i = n - 1; i >= 0; i--) {
        table.set(pages[i], before[i]);
      }
      return false;
    }
    for (int i = 0; i < n; i++) {
      memory.writePages(pages[i], bytes.nioBuffer(i * Frames.PAGE, Frames.PAGE));
    }
    return true;
  }

  void release() {
    bytes.release();
  }
}
