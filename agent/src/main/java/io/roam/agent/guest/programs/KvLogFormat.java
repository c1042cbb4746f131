package io.roam.agent.guest.programs;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The records of the kv write-ahead log and their framing. Each record is framed as
 *
 * <pre>
 *   int payload length, int CRC32C of the payload, payload
 *   payload: byte type, long owner epoch, then
 *     FENCE (1): long previous segment's epoch, long its number, long its length (-1 -1 -1: none).
 *                A segment's first record. From here on, records of an older epoch do not count;
 *                the segment continues the previous one cut at that length, or, with none, the
 *                snapshot of its own name
 *     BATCH (2): long time (ms, the step's wall clock), int count, count x (int length, UTF-8 request line)
 * </pre>
 *
 * A reader stops at the first frame that is cut short or whose checksum does not match: that is the
 * torn tail of a write that was never acknowledged (a record is acknowledged only after it was
 * forced), and the valid length it reports is where the next append must go.
 */
final class KvLogFormat {
  static final byte FENCE = 1;
  static final byte BATCH = 2;
  /** Far above any batch (lines are at most 1 KiB); a larger length is a torn or foreign frame. */
  static final int MAX_PAYLOAD = 64 << 20;

  private KvLogFormat() {}

  static ByteBuffer fence(long epoch, Previous previous) {
    ByteBuffer p = ByteBuffer.allocate(33);
    p.put(FENCE).putLong(epoch);
    if (previous == null) {
      p.putLong(-1).putLong(-1).putLong(-1);
    } else {
      p.putLong(previous.epoch()).putLong(previous.segment()).putLong(previous.length());
    }
    p.flip();
    return frame(p);
  }

  /** The segment a new one continues, and the length of it that counts. */
  record Previous(long epoch, long segment, long length) {}

  static ByteBuffer batch(long epoch, long timeMs, List<String> lines) {
    List<byte[]> encoded = new ArrayList<>(lines.size());
    int size = 1 + 8 + 8 + 4;
    for (String l : lines) {
      byte[] b = l.getBytes(StandardCharsets.UTF_8);
      encoded.add(b);
      size += 4 + b.length;
    }
    ByteBuffer p = ByteBuffer.allocate(size);
    p.put(BATCH).putLong(epoch).putLong(timeMs).putInt(encoded.size());
    for (byte[] b : encoded) {
      p.putInt(b.length).put(b);
    }
    p.flip();
    return frame(p);
  }

  private static ByteBuffer frame(ByteBuffer payload) {
    CRC32C crc = new CRC32C();
    crc.update(payload.duplicate());
    ByteBuffer f = ByteBuffer.allocate(8 + payload.remaining());
    f.putInt(payload.remaining()).putInt((int) crc.getValue()).put(payload).flip();
    return f;
  }

  /** One decoded record. */
  record Record(byte type, long epoch, long timeMs, List<String> lines, Previous previous) {}

  /**
   * Reads the records of one log file front to back without holding more than one record in
   * memory. Not thread-safe.
   */
  static final class Reader implements AutoCloseable {
    private final DataInputStream in;
    private long validLength;
    private boolean torn;

    private final long limit;

    /** Reads the whole valid prefix. */
    Reader(Path file) throws IOException {
      this(file, Long.MAX_VALUE);
    }

    /** Reads the valid records within the first {@code limit} bytes (the length a successor fixed). */
    Reader(Path file, long limit) throws IOException {
      in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
      this.limit = limit;
    }

    /** The next record, or null at the end of the valid records. */
    Record next() throws IOException {
      if (torn || validLength >= limit) {
        return null;
      }
      byte[] payload;
      int expectedCrc;
      try {
        int length = in.readInt();
        expectedCrc = in.readInt();
        if (length < 9 || length > MAX_PAYLOAD) {
          torn = true;
          return null;
        }
        payload = new byte[length];
        in.readFully(payload);
      } catch (EOFException e) {
        torn = true; // the end, or a frame cut short
        return null;
      }
      CRC32C crc = new CRC32C();
      crc.update(payload);
      if ((int) crc.getValue() != expectedCrc) {
        torn = true;
        return null;
      }
      Record r = decode(ByteBuffer.wrap(payload));
      if (r == null || validLength + 8 + payload.length > limit) {
        torn = true;
        return null;
      }
      validLength += 8 + payload.length;
      return r;
    }

    /** The length of the records read so far: after the last {@link #next}, the whole valid prefix. */
    long validLength() {
      return validLength;
    }

    private static Record decode(ByteBuffer p) {
      try {
        byte type = p.get();
        long epoch = p.getLong();
        if (type == FENCE) {
          long pe = p.getLong();
          long ps = p.getLong();
          long pl = p.getLong();
          return new Record(type, epoch, 0, List.of(), pe < 0 ? null : new Previous(pe, ps, pl));
        }
        if (type != BATCH) {
          return null;
        }
        long time = p.getLong();
        int n = p.getInt();
        if (n < 0 || n > p.remaining() / 4) {
          return null;
        }
        List<String> lines = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          byte[] b = new byte[p.getInt()];
          p.get(b);
          lines.add(new String(b, StandardCharsets.UTF_8));
        }
        return new Record(type, epoch, time, lines, null);
      } catch (RuntimeException e) {
        return null; // a checksummed payload that does not parse: written by something else
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
