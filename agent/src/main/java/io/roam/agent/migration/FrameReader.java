package io.roam.agent.migration;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;

/**
 * The destination's frame reader: splits the source's byte stream into the frames of {@link
 * Frames}, without copying page data. Every frame but PAGES is collected whole and passed on as a
 * {@link ByteBuf} (parsed by {@link IncomingFrame#parse}); a PAGES frame is passed on as its
 * header, an {@link IncomingFrame.Pages} (checked against the frame's length before its arrays are
 * allocated), followed by its page bytes as {@link PageBytes}: slices of the buffers the socket
 * was read into, passed on as they arrive, so that the receiver can checksum each payload byte
 * while it is in the cache and write it once into its final place. (Netty's length-field decoder
 * copied every frame into a cumulation buffer first: a whole extra pass over memory.)
 *
 * <p>Hostile lengths (issue 10): a frame's length is checked against {@link Frames#MAX_FRAME}
 * before anything is read for it, a PAGES frame's page count against its length before its
 * arrays are allocated, and a whole frame's buffer grows with the bytes that really arrived.
 * After a decoding error everything further is dropped (the receiver closes the connection).
 *
 * <p>Not thread-safe: one per connection, on its event loop.
 */
final class FrameReader extends ChannelInboundHandlerAdapter {
  /** Page bytes of the current PAGES frame, in order; the receiver releases {@code bytes}. */
  record PageBytes(ByteBuf bytes) {}

  private enum State { LENGTH, TYPE, BODY, PAGES_COUNT, PAGES_TABLE, PAGES_DATA }

  private static final int SMALL = 64 * 1024;

  private State state = State.LENGTH;
  /** The bytes of the length, a frame's body or a PAGES header collected so far; null between frames. */
  private ByteBuf pending;
  private int frameLength;
  private long round;
  private int pageCount;
  private long dataLeft;
  private boolean failed;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (failed) {
      in.release(); // the connection is being closed: nothing after a decoding error counts
      return;
    }
    try {
      while (in.isReadable() && !failed) {
        switch (state) {
          case LENGTH -> {
            if (collect(ctx, in, 4)) {
              frameLength = pending.readInt();
              done();
              if (frameLength < 0) {
                throw new CorruptedFrameException("negative frame length: " + frameLength);
              } else if (frameLength > Frames.MAX_FRAME) {
                throw new TooLongFrameException("a frame of " + frameLength + " bytes exceeds the bound of " + Frames.MAX_FRAME);
              } else if (frameLength == 0) {
                throw new MalformedFrameException("empty frame");
              } else {
                state = State.TYPE;
              }
            }
          }
          case TYPE -> {
            byte type = in.getByte(in.readerIndex());
            if (type == Frames.PAGES) {
              in.skipBytes(1);
              state = State.PAGES_COUNT;
            } else {
              state = State.BODY;
            }
          }
          case BODY -> {
            if (collect(ctx, in, frameLength)) {
              ByteBuf frame = pending;
              pending = null;
              state = State.LENGTH;
              ctx.fireChannelRead(frame);
            }
          }
          case PAGES_COUNT -> {
            if (frameLength - 1 < 12) {
              throw new MalformedFrameException("PAGES is truncated: " + (frameLength - 1) + " bytes");
            }
            if (collect(ctx, in, 12)) {
              round = pending.readLong();
              pageCount = pending.readInt();
              done();
              if (pageCount <= 0 || pageCount > Frames.BATCH) {
                throw new MalformedFrameException("PAGES claims " + pageCount + " pages (1 to " + Frames.BATCH + ")");
              }
              long expected = (long) pageCount * 12 + 4 + (long) pageCount * Frames.PAGE;
              if (frameLength - 1 - 12 != expected) {
                throw new MalformedFrameException("PAGES of " + pageCount + " pages must hold " + expected + " bytes, holds "
                    + (frameLength - 1 - 12));
              }
              state = State.PAGES_TABLE;
            }
          }
          case PAGES_TABLE -> {
            if (collect(ctx, in, pageCount * 12 + 4)) {
              long[] pages = new long[pageCount];
              int[] crcs = new int[pageCount];
              for (int i = 0; i < pageCount; i++) {
                pages[i] = pending.readLong();
              }
              for (int i = 0; i < pageCount; i++) {
                crcs[i] = pending.readInt();
              }
              int batchCrc = pending.readInt();
              done();
              dataLeft = (long) pageCount * Frames.PAGE;
              state = State.PAGES_DATA;
              ctx.fireChannelRead(new IncomingFrame.Pages(round, pages, crcs, batchCrc));
            }
          }
          case PAGES_DATA -> {
            int n = (int) Math.min(dataLeft, in.readableBytes());
            dataLeft -= n;
            if (dataLeft == 0) {
              state = State.LENGTH;
            }
            ctx.fireChannelRead(new PageBytes(in.readRetainedSlice(n)));
          }
          default -> throw new IllegalStateException(state.name());
        }
      }
    } catch (RuntimeException e) {
      failed = true;
      done();
      throw e; // to the receiver's exceptionCaught, which refuses the peer and closes
    } finally {
      in.release();
    }
  }

  /**
   * Moves bytes from {@code in} into {@link #pending} until it holds {@code n}; true when it does.
   * The buffer grows with what arrives: a claimed length allocates nothing by itself.
   */
  private boolean collect(ChannelHandlerContext ctx, ByteBuf in, int n) {
    if (pending == null) {
      pending = ctx.alloc().buffer(Math.min(n, SMALL), n);
    }
    int take = Math.min(n - pending.readableBytes(), in.readableBytes());
    pending.writeBytes(in, take);
    return pending.readableBytes() == n;
  }

  private void done() {
    if (pending != null) {
      pending.release();
      pending = null;
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    done();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    done();
    super.channelInactive(ctx);
  }
}
