package io.roam.agent.migration;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a migration connection honest about its peer (DESIGN.md "The migration data plane's
 * liveness"): each end sends a KEEPALIVE frame whenever it has written nothing for {@code
 * keepaliveInterval}, and closes the connection when it has read nothing for {@code idleTimeout}.
 * A peer that lost power or froze therefore counts as lost within the idle timeout, and the usual
 * lost-connection rules apply (the destination resolves by the owner record).
 *
 * <p>Keepalives come from the event loop, not the migrating thread, so a busy sender (a long pause,
 * a slow verification) is never mistaken for a dead one; only a silent process or network is.
 *
 * <p>{@code connectTimeout}: how long a prepared destination waits for its source to connect at
 * all. The source connects as soon as prepare answers (the destination's JVM is already up), so it
 * only matters when the source died in between; its waiting copy is one process too many until then.
 */
record Liveness(Duration keepaliveInterval, Duration idleTimeout, Duration connectTimeout) {
  private static final Logger LOG = LoggerFactory.getLogger(Liveness.class);

  static final Liveness DEFAULT = new Liveness(Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(30));

  Liveness {
    if (keepaliveInterval.compareTo(idleTimeout) >= 0) {
      throw new IllegalArgumentException("the keepalive interval must be shorter than the idle timeout");
    }
  }

  /** Adds the idle detection and the keepalive sender; call after the frame codecs. */
  void install(ChannelPipeline pipeline, String peer) {
    pipeline.addLast(idleHandler(), keepaliveHandler(peer));
  }

  /** As {@link #install}, in front of the handler named {@code before} (on the channel's event loop). */
  void installBefore(ChannelPipeline pipeline, String before, String peer) {
    pipeline.addBefore(before, null, idleHandler());
    pipeline.addBefore(before, null, keepaliveHandler(peer));
  }

  private IdleStateHandler idleHandler() {
    return new IdleStateHandler(idleTimeout.toMillis(), keepaliveInterval.toMillis(), 0, TimeUnit.MILLISECONDS);
  }

  private ChannelDuplexHandler keepaliveHandler(String peer) {
    return new ChannelDuplexHandler() {
          @Override
          public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent e && e.state() == IdleState.WRITER_IDLE) {
              ctx.writeAndFlush(Frames.empty(ctx.alloc(), Frames.KEEPALIVE));
            } else if (evt instanceof IdleStateEvent e && e.state() == IdleState.READER_IDLE) {
              LOG.warn("migration connection: the {} sent nothing for {} ms; counting it as lost", peer,
                  idleTimeout.toMillis());
              ctx.close();
            } else {
              super.userEventTriggered(ctx, evt);
            }
          }

          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof ByteBuf b && b.readableBytes() == 1 && b.getByte(b.readerIndex()) == Frames.KEEPALIVE) {
              b.release(); // it has done its work: the read reset the idle timer
              return;
            }
            super.channelRead(ctx, msg);
          }
        };
  }
}
