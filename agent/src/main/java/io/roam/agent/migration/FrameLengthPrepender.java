package io.roam.agent.migration;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * The source's framing: each frame goes out as {@code [int length][frame]} (what the destination's
 * {@link FrameReader} reads). A PAGES frame, a composite of its header and slices of guest memory,
 * gets its length as a first component, so that the whole frame stays one buffer.
 *
 * <p>Why one buffer: TLS ({@link io.netty.handler.ssl.SslHandler}) merges the small buffers in its
 * write queue with the bytes behind them by copying, so Netty's {@code LengthFieldPrepender}, which
 * writes the length as a buffer of its own, made it copy the first record's worth of every frame;
 * with records gathered into larger wraps ({@link DataPlaneSecurity#WRAP_BYTES}) it would copy the
 * whole frame. Other frames are small and go as the length and the frame, as before.
 *
 * <p>Stateless and thread-safe.
 */
@ChannelHandler.Sharable
final class FrameLengthPrepender extends MessageToMessageEncoder<ByteBuf> {
  static final FrameLengthPrepender INSTANCE = new FrameLengthPrepender();

  private FrameLengthPrepender() {}

  @Override
  protected void encode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
    ByteBuf length = ctx.alloc().buffer(4).writeInt(frame.readableBytes());
    if (frame instanceof CompositeByteBuf c) {
      // A new composite with room for every part: adding to a full one would consolidate it (copy).
      CompositeByteBuf framed = ctx.alloc().compositeDirectBuffer(c.numComponents() + 1);
      framed.addComponent(true, length);
      framed.addFlattenedComponents(true, c.retain()); // the parts themselves, not copied
      out.add(framed);
    } else {
      out.add(length);
      out.add(frame.retain());
    }
  }
}
