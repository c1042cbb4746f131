package io.roam.agent.migration;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * A frame from the source, parsed and checked against the wire format of {@link Frames} before
 * anything is allocated for it (PAGES frames are read by {@link FrameReader}, which streams their
 * page bytes): every count is checked against the bytes the frame really holds
 * (the frame itself was bounded by {@link Frames#MAX_FRAME} before it was read), so a hostile
 * length costs nothing. Anything off is a {@link MalformedFrameException}, and nothing else
 * escapes {@link #parse}.
 *
 * <p>Page numbers are not checked against the VM's size here (the parser does not know it); the
 * receiver does that.
 */
sealed interface IncomingFrame {
  /** HELLO: the one-time token and the encryption the source asks for. */
  record Hello(String token, MigrationEncryption encryption) implements IncomingFrame {}

  /**
   * The header of a PAGES frame, read by {@link FrameReader} (its page bytes follow as {@link
   * FrameReader.PageBytes}): the page numbers, the CRC32C the source computed for each page, and the
   * CRC32C of those two arrays. Counts were checked against the frame's length before the arrays
   * were allocated.
   */
  record Pages(long round, long[] pages, int[] crcs, int batchCrc) implements IncomingFrame {}

  record Zeros(long[] pages, int crc) implements IncomingFrame {}

  record RoundEnd(long round) implements IncomingFrame {}

  record Complete(long tableDigest, long fullDigest, int ownerVersion, byte[] runtimeState) implements IncomingFrame {}

  record Commit(long ownerEpoch) implements IncomingFrame {}

  record Abort(String reason) implements IncomingFrame {}

  record CheckpointBegin(long checkpoint) implements IncomingFrame {}

  record Checkpoint(long checkpoint, long tableDigest, byte[] runtimeState) implements IncomingFrame {}

  /** The longest HELLO: a 32-character token, a space and a mode, with room to spare. */
  int MAX_HELLO = 128;
  int MAX_TEXT = 4096;

  /** Parses one whole frame (its length prefix already removed); reads the buffer, never keeps it. */
  static IncomingFrame parse(ByteBuf f) {
    if (!f.isReadable()) {
      throw new MalformedFrameException("empty frame");
    }
    byte type = f.readByte();
    switch (type) {
      case Frames.HELLO -> {
        String text = text(f, MAX_HELLO, "HELLO");
        int space = text.indexOf(' ');
        if (space < 0) {
          return new Hello(text, MigrationEncryption.TLS);
        }
        try {
          return new Hello(text.substring(0, space), MigrationEncryption.parse(text.substring(space + 1)));
        } catch (IllegalArgumentException e) {
          throw new MalformedFrameException("HELLO asks for an unknown encryption");
        }
      }
      case Frames.PAGES -> throw new MalformedFrameException("PAGES is streamed by the frame reader, never whole");
      case Frames.ZEROS -> {
        need(f, 4, "ZEROS");
        int n = f.readInt();
        if (n <= 0) {
          throw new MalformedFrameException("ZEROS claims " + n + " pages");
        }
        exactly(f, (long) n * 8 + 4, "ZEROS of " + n + " pages");
        long[] pages = new long[n];
        for (int i = 0; i < n; i++) {
          pages[i] = f.readLong();
        }
        return new Zeros(pages, f.readInt());
      }
      case Frames.ROUND_END -> {
        exactly(f, 8, "ROUND_END");
        return new RoundEnd(f.readLong());
      }
      case Frames.COMPLETE -> {
        need(f, 8 + 8 + 4 + 4, "COMPLETE");
        long table = f.readLong();
        long full = f.readLong();
        int version = f.readInt();
        return new Complete(table, full, version, runtimeState(f, "COMPLETE"));
      }
      case Frames.COMMIT -> {
        exactly(f, 8, "COMMIT");
        return new Commit(f.readLong());
      }
      case Frames.ABORT -> {
        return new Abort(text(f, MAX_TEXT, "ABORT"));
      }
      case Frames.CHECKPOINT_BEGIN -> {
        exactly(f, 8, "CHECKPOINT_BEGIN");
        return new CheckpointBegin(f.readLong());
      }
      case Frames.CHECKPOINT -> {
        need(f, 8 + 8 + 4, "CHECKPOINT");
        long checkpoint = f.readLong();
        long table = f.readLong();
        return new Checkpoint(checkpoint, table, runtimeState(f, "CHECKPOINT"));
      }
      default -> throw new MalformedFrameException("unknown frame type " + type);
    }
  }

  /** An int length, then exactly that many bytes of runtime state, ending the frame. */
  private static byte[] runtimeState(ByteBuf f, String what) {
    int n = f.readInt();
    if (n < 0 || n != f.readableBytes()) {
      throw new MalformedFrameException(what + " claims " + Integer.toUnsignedString(n)
          + " bytes of runtime state and carries " + f.readableBytes());
    }
    byte[] state = new byte[n];
    f.readBytes(state);
    return state;
  }

  private static String text(ByteBuf f, int max, String what) {
    if (f.readableBytes() > max) {
      throw new MalformedFrameException(what + " of " + f.readableBytes() + " bytes (at most " + max + ")");
    }
    return f.readCharSequence(f.readableBytes(), StandardCharsets.UTF_8).toString();
  }

  private static void need(ByteBuf f, int bytes, String what) {
    if (f.readableBytes() < bytes) {
      throw new MalformedFrameException(what + " is truncated: " + f.readableBytes() + " bytes");
    }
  }

  private static void exactly(ByteBuf f, long bytes, String what) {
    if (f.readableBytes() != bytes) {
      throw new MalformedFrameException(what + " must hold " + bytes + " bytes, holds " + f.readableBytes());
    }
  }
}
