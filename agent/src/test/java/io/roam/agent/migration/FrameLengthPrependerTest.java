package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandler;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The source's framing: a page frame (a composite of a header and slices of guest memory) leaves
 * as one buffer that holds its length and refers to the parts without copying them, and through
 * the source's TLS a frame is encrypted into one buffer and written once; other frames are the
 * length and the frame, as before.
 */
class FrameLengthPrependerTest {
  @TempDir Path dir;

  /** Like the migrator's PAGES frame: a small header and a run of "guest memory" wrapped, not copied. */
  private static CompositeByteBuf pageFrame(ByteBuffer memory) {
    ByteBuf header = Unpooled.directBuffer(16).writeByte(Frames.PAGES).writeLong(7).writeInt(1);
    return (CompositeByteBuf) Unpooled.wrappedBuffer(header, Unpooled.wrappedBuffer(memory.duplicate()));
  }

  private static ByteBuffer memory(int bytes) {
    ByteBuffer m = ByteBuffer.allocateDirect(bytes);
    for (int i = 0; i < bytes; i++) {
      m.put(i, (byte) (i * 31 + 7));
    }
    return m;
  }

  @Test
  void aCompositeFrameLeavesAsOneBufferWithItsLengthAndItsPartsUncopied() {
    EmbeddedChannel ch = new EmbeddedChannel(FrameLengthPrepender.INSTANCE);
    ByteBuffer memory = memory(3 * Frames.PAGE);
    CompositeByteBuf frame = pageFrame(memory);
    byte[] expected = ByteBufUtil.getBytes(frame);
    ch.writeOutbound(frame);

    assertThat(ch.outboundMessages()).hasSize(1);
    ByteBuf out = ch.readOutbound();
    assertThat(out.readInt()).isEqualTo(expected.length);
    assertThat(ByteBufUtil.getBytes(out)).isEqualTo(expected);
    // Not copied: a change to guest memory after the write shows in what goes out.
    memory.put(2 * Frames.PAGE, (byte) 0x5a);
    assertThat(out.getByte(out.readerIndex() + 13 + 2 * Frames.PAGE)).isEqualTo((byte) 0x5a);
    // The parts are released with the frame, not before.
    assertThat(frame.refCnt()).isZero();
    out.release();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void aPlainFrameLeavesAsItsLengthAndItself() {
    EmbeddedChannel ch = new EmbeddedChannel(FrameLengthPrepender.INSTANCE);
    ch.writeOutbound(Frames.withLong(ch.alloc(), Frames.ROUND_END, 3));
    ByteBuf length = ch.readOutbound();
    ByteBuf frame = ch.readOutbound();
    assertThat(length.readInt()).isEqualTo(9);
    assertThat(frame.readByte()).isEqualTo(Frames.ROUND_END);
    assertThat(frame.readLong()).isEqualTo(3);
    length.release();
    frame.release();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void throughTheSourcesTlsAPageFrameIsEncryptedIntoOneBufferAndArrivesWhole() throws Exception {
    TestPki pki = new TestPki(dir);
    DataPlaneSecurity source = pki.agent("src");
    DataPlaneSecurity destination = pki.agent("dst");
    EmbeddedChannel client = new EmbeddedChannel();
    client.pipeline().addLast(MigrationReceiver.TLS, source.newClientHandler(client.alloc(), "127.0.0.1", 1));
    client.pipeline().addLast(FrameLengthPrepender.INSTANCE);
    EmbeddedChannel server = new EmbeddedChannel();
    server.pipeline().addLast(destination.newServerHandler(server.alloc()));
    handshake(client, server);

    ByteBuffer memory = memory(Frames.BATCH * Frames.PAGE); // a full batch: 1 MiB, 64 TLS records
    CompositeByteBuf frame = pageFrame(memory);
    byte[] expected = ByteBufUtil.getBytes(frame);
    client.writeAndFlush(frame);
    client.runPendingTasks();

    // The frame's records are encrypted into one buffer (Netty's default made one buffer and one
    // write per 16 KiB record: 65 here); Netty's estimate of the records' overhead can leave the
    // last, short record for a second buffer.
    assertThat(client.outboundMessages()).hasSizeBetween(1, 2);
    ByteBuf first = client.readOutbound();
    assertThat(first.readableBytes()).isGreaterThanOrEqualTo(Frames.BATCH * Frames.PAGE);
    server.writeInbound(first);
    for (Object m; (m = client.readOutbound()) != null; ) {
      server.writeInbound(m);
    }
    ByteBuf plain = Unpooled.buffer();
    for (Object m; (m = server.readInbound()) != null; ) {
      plain.writeBytes((ByteBuf) m);
      ((ByteBuf) m).release();
    }
    assertThat(plain.readInt()).isEqualTo(expected.length);
    assertThat(ByteBufUtil.getBytes(plain)).isEqualTo(expected);
    assertThat(((SslHandler) client.pipeline().get(MigrationReceiver.TLS)).engine().getSession().getProtocol())
        .isEqualTo("TLSv1.3");
    client.finishAndReleaseAll();
    server.finishAndReleaseAll();
  }

  /** Moves the handshake's bytes between the two ends until both are done. */
  private static void handshake(EmbeddedChannel client, EmbeddedChannel server) {
    SslHandler c = (SslHandler) client.pipeline().get(MigrationReceiver.TLS);
    SslHandler s = server.pipeline().get(SslHandler.class);
    for (int i = 0; i < 100 && !(c.handshakeFuture().isDone() && s.handshakeFuture().isDone()); i++) {
      for (Object m; (m = client.readOutbound()) != null; ) {
        server.writeInbound(m);
      }
      for (Object m; (m = server.readOutbound()) != null; ) {
        client.writeInbound(m);
      }
      client.runPendingTasks();
      server.runPendingTasks();
    }
    assertThat(c.handshakeFuture().isSuccess()).as("client handshake").isTrue();
    assertThat(s.handshakeFuture().isSuccess()).as("server handshake").isTrue();
    // Session tickets and the like, after the handshake.
    for (Object m; (m = server.readOutbound()) != null; ) {
      client.writeInbound(m);
    }
    for (Object m; (m = client.readOutbound()) != null; ) {
      server.writeInbound(m);
    }
  }
}
