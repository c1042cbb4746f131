package io.roam.agent.migration;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The migration wire format. Every frame is {@code [int length][byte type][body]} (the length is
 * added by Netty's length-field prepender and checked, before anything is read for the frame, by
 * the destination's {@link FrameReader}, so a frame can never run past its end):
 *
 * <pre>
 * All of it inside mutual TLS 1.3 ({@link DataPlaneSecurity}); with encryption off on both agents,
 * TLS is removed right after READY (see {@link MigrationReceiver}).
 *
 * source → destination
 *   HELLO      utf8 "token encryption" (encryption: tls or off, what the source's setting says)
 *   PAGES      long round, int n, n × long page, n × int crc32c(page), int crc32c(of the two arrays), n × 4096 bytes
 *   ZEROS      int n, n × long page, int crc32c(of the array)            (pages that are all zero)
 *   ROUND_END  long round
 *   COMPLETE   long table digest, long full digest (or -1), int owner version, int n, n bytes of runtime state
 *   COMMIT     long owner epoch
 *   ABORT      utf8 reason
 *   CHECKPOINT_BEGIN  long checkpoint (FT: the PAGES up to CHECKPOINT are staged, not written)
 *   CHECKPOINT long checkpoint, long table digest, int n, n bytes of runtime state (FT: apply it whole)
 * either way
 *   KEEPALIVE  (sent when idle; a peer silent for the idle timeout is lost, see {@link Liveness})
 * destination → source
 *   READY      utf8 encryption agreed (off only if both agents say off; then plaintext follows)
 *   ROUND_ACK  long round
 *   VERIFIED   long µs the check took here (after COMPLETE: digests match)
 *   COMMITTED  long µs from COMMIT to running here, long µs of its GO call, utf8 endpoint (the VM runs on the destination)
 *   ERROR      utf8 reason (then the connection closes)
 *   CHECKPOINT_ACK  long checkpoint, long µs the apply took (FT: the secondary's memory is that checkpoint)
 * </pre>
 *
 * The table digest is {@link PageCrcTable}'s digest of the CRC32C of every page as last sent (or,
 * on the destination, as computed from the bytes received), kept up to date page by page, so both
 * sides compare whole memories in O(1) inside the pause without rereading them. A PAGES frame's page
 * checksums are taken by the source before the kernel reads the pages from guest memory: a page
 * whose bytes do not match changed in flight and comes again; the table digest is the gate
 * (DESIGN.md "Sending straight from guest memory").
 */
final class Frames {
  static final byte HELLO = 1;
  static final byte PAGES = 2;
  static final byte ZEROS = 3;
  static final byte ROUND_END = 4;
  static final byte COMPLETE = 5;
  static final byte COMMIT = 6;
  static final byte ABORT = 7;
  static final byte KEEPALIVE = 8;
  static final byte CHECKPOINT_BEGIN = 9;
  static final byte CHECKPOINT = 10;
  static final byte READY = 20;
  static final byte ROUND_ACK = 21;
  static final byte VERIFIED = 22;
  static final byte COMMITTED = 23;
  static final byte ERROR = 24;
  static final byte CHECKPOINT_ACK = 25;

  static final int PAGE = 4096;
  /** Pages per PAGES frame: 1 MiB of data. */
  static final int BATCH = 256;
  static final int MAX_FRAME = 1 + 8 + 4 + BATCH * 12 + 4 + BATCH * PAGE + 64;
  static final int ZERO_PAGE_CRC = crcOfZeroPage();

  private Frames() {}

  static ByteBuf text(ByteBufAllocator alloc, byte type, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    ByteBuf buf = alloc.buffer(1 + b.length);
    buf.writeByte(type).writeBytes(b);
    return buf;
  }

  static ByteBuf empty(ByteBufAllocator alloc, byte type) {
    return alloc.buffer(1).writeByte(type);
  }

  static ByteBuf withLong(ByteBufAllocator alloc, byte type, long v) {
    return alloc.buffer(9).writeByte(type).writeLong(v);
  }

  static String readText(ByteBuf body) {
    return body.readCharSequence(body.readableBytes(), StandardCharsets.UTF_8).toString();
  }

  /** CRC32C of the page numbers and per-page CRCs of a batch. */
  static int batchCrc(long[] pages, int[] crcs, int n) {
    CRC32C c = new CRC32C();
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(n * 12);
    for (int i = 0; i < n; i++) {
      b.putLong(pages[i]);
    }
    for (int i = 0; i < n; i++) {
      b.putInt(crcs[i]);
    }
    c.update(b.flip());
    return (int) c.getValue();
  }

  static int pagesCrc(long[] pages, int n) {
    CRC32C c = new CRC32C();
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(n * 8);
    for (int i = 0; i < n; i++) {
      b.putLong(pages[i]);
    }
    c.update(b.flip());
    return (int) c.getValue();
  }

  static int crc(java.nio.ByteBuffer page) {
    CRC32C c = new CRC32C();
    c.update(page);
    return (int) c.getValue();
  }

  private static int crcOfZeroPage() {
    return crc(java.nio.ByteBuffer.allocate(PAGE));
  }
}
