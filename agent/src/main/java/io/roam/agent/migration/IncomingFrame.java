package io.roam.agent.migration;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * A frame from the source, parsed and checked against the wire format of {@link Frames} before
 * anything is allocated for it: every count is checked against the bytes the frame really holds
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

  /** PAGES: {@code data} is a slice of the frame, valid while the frame is. */
  record Pages(long round, long[] pages, int batchCrc, ByteBuf data) implements IncomingFrame {}

  record Zeros(long[] pages, int crc) implements IncomingFrame {}

  record RoundEnd(long round) implements IncomingFrame {}

  record Complete(long tableDigest, long fullDigest, int ownerVersion, byte[] runtimeState) implements IncomingFrame {}

  record Commit(long ownerEpoch) implements IncomingFrame {}

  record Abort(String reason) implements IncomingFrame {}

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
      case Frames.PAGES -> {
        need(f, 8 + 4, "PAGES");
        long round = f.readLong();
        int n = f.readInt();
        if (n <= 0 || n > Frames.BATCH) {
          throw new MalformedFrameException("PAGES claims " + n + " pages (1 to " + Frames.BATCH + ")");
        }
        exactly(f, (long) n * 12 + 4 + (long) n * Frames.PAGE, "PAGES of " + n + " pages");
        long[] pages = new long[n];
        for (int i = 0; i < n; i++) {
          pages[i] = f.readLong();
        }
        f.skipBytes(n * 4); // the sender's per-page checksums: folded into the batch checksum
        int batchCrc = f.readInt();
        return new Pages(round, pages, batchCrc, f.slice());
      }
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
        int n = f.readInt();
        if (n < 0 || n != f.readableBytes()) {
          throw new MalformedFrameException("COMPLETE claims " + Integer.toUnsignedString(n)
              + " bytes of runtime state and carries " + f.readableBytes());
        }
        byte[] state = new byte[n];
        f.readBytes(state);
        return new Complete(table, full, version, state);
      }
      case Frames.COMMIT -> {
        exactly(f, 8, "COMMIT");
        return new Commit(f.readLong());
      }
      case Frames.ABORT -> {
        return new Abort(text(f, MAX_TEXT, "ABORT"));
      }
      default -> throw new MalformedFrameException("unknown frame type " + type);
    }
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
