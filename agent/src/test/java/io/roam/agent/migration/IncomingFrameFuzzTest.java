package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The destination's frame decoding ({@link FrameReader}, then {@link IncomingFrame})
 * against hostile bytes: arbitrary input either decodes to frames or fails with the decoder's own
 * errors (too long, corrupted length, malformed frame), never with anything else, and never
 * allocates more than a bound, whatever the lengths and counts inside claim.
 */
class IncomingFrameFuzzTest {
  /** What decoding one input may allocate at most: a frame, its parsed arrays, Netty's buffers. */
  private static final long ALLOCATION_BOUND = 8L * Frames.MAX_FRAME;
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** Feeds {@code input} to the decoder in one or more chunks; returns the failures seen. */
  private static List<Throwable> decode(byte[] input, int chunk) {
    List<Throwable> failures = new ArrayList<>();
    EmbeddedChannel ch = new EmbeddedChannel(new FrameReader(),
        new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
              if (msg instanceof ByteBuf frame) {
                IncomingFrame.parse(frame);
              }
            } finally {
              if (msg instanceof FrameReader.PageBytes b) {
                b.bytes().release();
              }
              io.netty.util.ReferenceCountUtil.release(msg);
            }
          }

          @Override
          public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failures.add(cause);
            ctx.close();
          }
        });
    for (int at = 0; at < input.length && ch.isOpen(); at += chunk) {
      try {
        ch.writeInbound(Unpooled.wrappedBuffer(input, at, Math.min(chunk, input.length - at)));
      } catch (RuntimeException e) {
        failures.add(e);
        break;
      }
    }
    ch.finishAndReleaseAll();
    return failures;
  }

  private static void assertOnlyDecoderErrors(List<Throwable> failures) {
    for (Throwable t : failures) {
      Throwable c = t instanceof io.netty.handler.codec.DecoderException && t.getCause() != null ? t.getCause() : t;
      assertThat(c).isInstanceOfAny(MalformedFrameException.class, TooLongFrameException.class,
          CorruptedFrameException.class);
    }
  }

  static {
    decode(new byte[] {0, 0, 0, 1, Frames.KEEPALIVE}, 5); // load and link the classes once, outside any measurement
    IncomingFrame.parse(Unpooled.buffer().writeByte(Frames.ROUND_END).writeLong(1));
  }

  private static long allocated() {
    return THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  @Property(tries = 300)
  void arbitraryBytesDecodeOrFailCleanlyWithinTheBound(@ForAll("streams") byte[] input, @ForAll("chunks") int chunk) {
    long before = allocated();
    List<Throwable> failures = decode(input, chunk);
    long used = allocated() - before;
    assertOnlyDecoderErrors(failures);
    assertThat(used).as("bytes allocated decoding %d input bytes", input.length).isLessThan(ALLOCATION_BOUND + 4L * input.length);
  }

  /** Streams of frames with plausible types and hostile lengths and counts, or plain noise. */
  @Provide
  Arbitrary<byte[]> streams() {
    Arbitrary<byte[]> frame = Combinators.combine(
        Arbitraries.of(Frames.HELLO, Frames.PAGES, Frames.ZEROS, Frames.ROUND_END, Frames.COMPLETE, Frames.COMMIT,
            Frames.ABORT, Frames.KEEPALIVE, (byte) 0, (byte) 99, (byte) -1),
        Arbitraries.oneOf(Arbitraries.of(Integer.MAX_VALUE, 0x7ff00000, Frames.BATCH, Frames.BATCH + 1, 0, -1, 1),
            Arbitraries.integers().between(-2, Integer.MAX_VALUE)),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(600),
        Arbitraries.integers().between(-8, 8),
        Arbitraries.of(false, true)).as((type, count, rest, skew, lie) -> {
          // [length][type][an int early in the body: a count or a length][rest]
          java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 1 + 24 + rest.length);
          int bodyLength = 1 + 24 + rest.length;
          b.putInt(lie ? count : bodyLength + skew).put(type);
          if (type == Frames.COMPLETE) {
            b.putLong(0).putLong(-1).putInt(0).putInt(count);
          } else {
            b.putInt(count).putLong(0).putLong(0).putInt(0);
          }
          b.put(rest);
          return b.array();
        });
    Arbitrary<byte[]> framed = frame.list().ofMaxSize(5).map(list -> {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      list.forEach(out::writeBytes);
      return out.toByteArray();
    });
    return Arbitraries.oneOf(framed, Arbitraries.bytes().array(byte[].class).ofMaxSize(2048));
  }

  @Provide
  Arbitrary<Integer> chunks() {
    return Arbitraries.of(1, 7, 64, 4096);
  }

  @net.jqwik.api.Example
  void aCompleteClaimingHugeStateFailsBeforeAllocatingIt() {
    ByteBuf f = Unpooled.buffer().writeByte(Frames.COMPLETE).writeLong(0).writeLong(-1).writeInt(0).writeInt(0x7ff00000);
    long before = allocated();
    assertThatThrownBy(() -> IncomingFrame.parse(f)).isInstanceOf(MalformedFrameException.class)
        .hasMessage("COMPLETE claims 2146435072 bytes of runtime state and carries 0");
    assertThat(allocated() - before).isLessThan(1 << 20);
  }

  @net.jqwik.api.Example
  void aLengthFieldBeyondTheBoundIsRefusedBeforeTheBodyIsRead() {
    byte[] header = java.nio.ByteBuffer.allocate(5).putInt(Integer.MAX_VALUE).put(Frames.COMPLETE).array();
    long before = allocated();
    List<Throwable> failures = decode(header, header.length);
    assertThat(failures).hasSize(1);
    assertThat(failures.get(0)).isInstanceOf(TooLongFrameException.class);
    assertThat(allocated() - before).as("a few MiB of exception and channel, not the 2 GiB claimed").isLessThan(64 << 20);
  }

  @net.jqwik.api.Example
  void wellFormedFramesParse() {
    IncomingFrame h = IncomingFrame.parse(Unpooled.buffer().writeByte(Frames.HELLO)
        .writeBytes("0123 off".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertThat(h).isEqualTo(new IncomingFrame.Hello("0123", MigrationEncryption.OFF));
    IncomingFrame z = IncomingFrame.parse(Unpooled.buffer().writeByte(Frames.ZEROS).writeInt(1).writeLong(5).writeInt(7));
    assertThat(((IncomingFrame.Zeros) z).pages()).containsExactly(5L);
  }

  /**
   * A PAGES frame, then a ROUND_END, fed in chunks of every awkward size: the reader passes on the
   * header, then exactly the page bytes in order (slices of the input, never a whole-frame copy),
   * then the next frame whole.
   */
  @Property(tries = 20)
  void aPagesFrameArrivesAsItsHeaderThenItsBytesInOrder(@ForAll("chunks") int chunk) {
    int n = 3;
    byte[] data = new byte[n * Frames.PAGE];
    new java.util.Random(chunk).nextBytes(data);
    ByteBuf in = Unpooled.buffer();
    in.writeInt(1 + 12 + n * 12 + 4 + data.length).writeByte(Frames.PAGES).writeLong(7).writeInt(n);
    in.writeLong(10).writeLong(11).writeLong(40).writeInt(1).writeInt(2).writeInt(3).writeInt(99).writeBytes(data);
    in.writeInt(9).writeByte(Frames.ROUND_END).writeLong(7);
    byte[] input = new byte[in.readableBytes()];
    in.readBytes(input);
    List<Object> seen = new ArrayList<>();
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    EmbeddedChannel ch = new EmbeddedChannel(new FrameReader(), new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FrameReader.PageBytes b) {
          byte[] part = new byte[b.bytes().readableBytes()];
          b.bytes().readBytes(part);
          bytes.writeBytes(part);
          b.bytes().release();
        } else if (msg instanceof ByteBuf frame) {
          seen.add(IncomingFrame.parse(frame));
          frame.release();
        } else {
          seen.add(msg);
        }
      }
    });
    for (int at = 0; at < input.length; at += chunk) {
      ch.writeInbound(Unpooled.wrappedBuffer(input, at, Math.min(chunk, input.length - at)));
    }
    assertThat(seen).hasSize(2);
    IncomingFrame.Pages p = (IncomingFrame.Pages) seen.get(0);
    assertThat(p.round()).isEqualTo(7);
    assertThat(p.pages()).containsExactly(10, 11, 40);
    assertThat(p.crcs()).containsExactly(1, 2, 3);
    assertThat(p.batchCrc()).isEqualTo(99);
    assertThat(bytes.toByteArray()).isEqualTo(data);
    assertThat(seen.get(1)).isEqualTo(new IncomingFrame.RoundEnd(7));
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @net.jqwik.api.Example
  void aPagesFrameWhoseCountDisagreesWithItsLengthFailsBeforeItsArraysAreAllocated() {
    byte[] header = java.nio.ByteBuffer.allocate(4 + 1 + 12).putInt(1 + 12 + 100).put(Frames.PAGES).putLong(0)
        .putInt(Frames.BATCH).array();
    List<Throwable> failures = decode(header, header.length);
    assertThat(failures).hasSize(1);
    assertThat(failures.get(0)).isInstanceOf(MalformedFrameException.class)
        .hasMessageStartingWith("PAGES of 256 pages must hold");
  }
}
