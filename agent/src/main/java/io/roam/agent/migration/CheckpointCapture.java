package io.roam.agent.migration;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.roam.agent.memory.DirtyPages;
import io.roam.agent.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The primary's copy of one FT checkpoint (DESIGN.md "Fault tolerance"): the pages the dirty log
 * names are copied out of guest memory while the VM is paused, so the VM can run on while they are
 * checksummed and sent; unlike a migration's pre-copy, what is sent is exactly the memory at the
 * pause. One buffer, reused from checkpoint to checkpoint (it grows when a checkpoint is bigger):
 * the next capture starts only after the secondary acknowledged the previous checkpoint, by which
 * time every byte of it has left.
 *
 * <p>Thread-safety: none; the protecting thread only.
 */
final class CheckpointCapture {
  private ByteBuffer bytes = ByteBuffer.allocateDirect(Frames.BATCH * Frames.PAGE);
  private long[] pages = new long[Frames.BATCH];
  private int[] crcs = new int[Frames.BATCH];
  private int n;
  private final CRC32C crc = new CRC32C();

  /** Copies the dirty pages out of {@code memory}; call with the VM paused. */
  void take(GuestMemory memory, DirtyPages dirty) {
    n = 0;
    bytes.clear();
    dirty.forEach(p -> {
      if (n == pages.length) {
        pages = Arrays.copyOf(pages, n * 2);
        crcs = Arrays.copyOf(crcs, n * 2);
      }
      if (bytes.remaining() < Frames.PAGE) {
        ByteBuffer bigger = ByteBuffer.allocateDirect(bytes.capacity() * 2);
        bytes.flip();
        bigger.put(bytes);
        bytes = bigger;
      }
      bytes.put(memory.pageView(p));
      pages[n++] = p;
    });
  }

  int pageCount() {
    return n;
  }

  /** Checksums the copied pages and records them in {@code sent}; the VM may run meanwhile. */
  void checksum(PageCrcTable sent) {
    for (int i = 0; i < n; i++) {
      crc.reset();
      crc.update(bytes.slice(i * Frames.PAGE, Frames.PAGE));
      crcs[i] = (int) crc.getValue();
      sent.set(pages[i], crcs[i]);
    }
  }

  /** Sends the pages as PAGES frames of at most {@link Frames#BATCH} pages, from the copy, not copied again. */
  void send(MigrationConnection c, long checkpoint) throws InterruptedException {
    for (int from = 0; from < n; from += Frames.BATCH) {
      int k = Math.min(Frames.BATCH, n - from);
      long[] p = Arrays.copyOfRange(pages, from, from + k);
      int[] cs = Arrays.copyOfRange(crcs, from, from + k);
      ByteBuf header = c.alloc().buffer(1 + 8 + 4 + k * 12 + 4).writeByte(Frames.PAGES).writeLong(checkpoint)
          .writeInt(k);
      for (long page : p) {
        header.writeLong(page);
      }
      for (int x : cs) {
        header.writeInt(x);
      }
      header.writeInt(Frames.batchCrc(p, cs, k));
      c.send(Unpooled.wrappedBuffer(header, Unpooled.wrappedBuffer(bytes.slice(from * Frames.PAGE, k * Frames.PAGE))));
    }
  }
}
