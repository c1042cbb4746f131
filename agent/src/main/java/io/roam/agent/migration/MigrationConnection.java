package io.roam.agent.migration;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The source's end of one migration connection, used from the migrator's own thread: {@link #send}
 * blocks while Netty's outbound buffer is above its high-water mark (so a fast sender never piles
 * up the VM's memory in buffers), and {@link #await} waits for the destination's next reply.
 *
 * <p>Mutual TLS from the first byte; {@link #open} returns only once the handshake has proved that
 * the peer is the agent of the destination host. With encryption off, TLS is removed on the event
 * loop in the same task that reads READY (the destination removed its own right after writing it),
 * and nothing is sent between HELLO and READY: the keepalives of {@link Liveness} start only then.
 */
final class MigrationConnection implements AutoCloseable {
  private final Channel channel;
  private final BlockingQueue<Object> replies = new LinkedBlockingQueue<>();
  private final Object writable = new Object();

  private volatile boolean plaintext;

  private MigrationConnection(Channel channel) {
    this.channel = channel;
  }

  /**
   * How much the source may queue in Netty beyond what the socket took, encrypted. TLS encrypts a
   * frame when it is flushed, so everything queued is ciphertext in buffers of its own: with the
   * plaintext marks below, up to 16 MiB of it waited, long enough to leave the CPU caches, and the
   * copy of each record into its buffer and the kernel's copy out of it both went to memory. Kept to
   * about two frames, the ciphertext is still cached when the socket takes it.
   */
  static final WriteBufferWaterMark ENCRYPTED_WATER_MARK = new WriteBufferWaterMark(1 << 20, 2 << 20);
  /** In plaintext the queue holds frames that refer to guest memory, not copies: a deep queue is free. */
  static final WriteBufferWaterMark PLAINTEXT_WATER_MARK = new WriteBufferWaterMark(4 << 20, 16 << 20);

  /** Replies are small (texts, a long): anything longer than this is a broken or hostile peer. */
  static final int MAX_REPLY = 64 * 1024;
  private static final String REPLY = "reply";

  static MigrationConnection open(EventLoopGroup group, DataPlaneSecurity security, String localAddress, String host,
      int port, String destinationHost) throws InterruptedException {
    return open(group, security, localAddress, host, port, destinationHost, Liveness.DEFAULT);
  }

  /**
   * Connects, completes the TLS handshake and checks that the peer's certificate names the agent
   * of {@code destinationHost}.
   */
  static MigrationConnection open(EventLoopGroup group, DataPlaneSecurity security, String localAddress, String host,
      int port, String destinationHost, Liveness liveness) throws InterruptedException {
    MigrationConnection[] self = new MigrationConnection[1];
    Bootstrap b = new Bootstrap().group(group).channel(Transports.socket())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_SNDBUF, 4 << 20)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, ENCRYPTED_WATER_MARK)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(MigrationReceiver.TLS, security.newClientHandler(ch.alloc(), host, port));
            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(MAX_REPLY, 0, 4, 0, 4),
                FrameLengthPrepender.INSTANCE);
            ch.pipeline().addLast(REPLY, new SimpleChannelInboundHandler<ByteBuf>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                    if (!msg.isReadable()) {
                      return;
                    }
                    byte type = msg.readByte();
                    if (type == Frames.KEEPALIVE) {
                      return; // before READY (Liveness drops them after)
                    }
                    byte[] body = new byte[msg.readableBytes()];
                    msg.readBytes(body);
                    Reply reply = new Reply(type, body);
                    if (type == Frames.READY) {
                      if (MigrationEncryption.OFF.label().equals(reply.text())) {
                        // The destination removed its TLS right after READY: what follows is plaintext.
                        ctx.pipeline().remove(MigrationReceiver.TLS);
                        ctx.channel().config().setWriteBufferWaterMark(PLAINTEXT_WATER_MARK);
                        self[0].plaintext = true;
                      }
                      liveness.installBefore(ctx.pipeline(), REPLY, "destination");
                    }
                    self[0].replies.add(reply);
                  }

                  @Override
                  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                    synchronized (self[0].writable) {
                      self[0].writable.notifyAll();
                    }
                  }

                  @Override
                  public void channelInactive(ChannelHandlerContext ctx) {
                    self[0].replies.add(CLOSED);
                    synchronized (self[0].writable) {
                      self[0].writable.notifyAll();
                    }
                  }

                  @Override
                  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    ctx.close();
                  }
                });
          }
        });
    if (localAddress != null) {
      b.localAddress(new InetSocketAddress(localAddress, 0));
    }
    ChannelFuture f = b.connect(host, port).await();
    if (!f.isSuccess()) {
      throw new MigrationException("connect", "cannot connect to the destination's data port " + host + ":" + port + ": "
          + f.cause().getMessage());
    }
    self[0] = new MigrationConnection(f.channel());
    SslHandler tls = (SslHandler) f.channel().pipeline().get(MigrationReceiver.TLS);
    if (!tls.handshakeFuture().await().isSuccess()) {
      f.channel().close();
      throw new MigrationException("connect", "the TLS handshake with the destination " + destinationHost + " at " + host
          + ":" + port + " failed: " + tls.handshakeFuture().cause().getMessage());
    }
    String wrongPeer = DataPlaneSecurity.agentNamed(tls, destinationHost);
    if (wrongPeer != null) {
      f.channel().close();
      throw new MigrationException("connect", "the data port " + host + ":" + port + " is not the destination's: "
          + wrongPeer);
    }
    return self[0];
  }

  /** Whether the page stream goes in plaintext (both agents set encryption off); known after READY. */
  boolean plaintext() {
    return plaintext;
  }

  /** Closes the connection without waiting (any thread): a blocked send or await fails at once. */
  void closeNow() {
    channel.close();
  }

  ByteBufAllocator alloc() {
    return channel.alloc();
  }

  /** Writes a frame, first waiting while the outbound buffer is full. */
  void send(ByteBuf frame) throws InterruptedException {
    synchronized (writable) {
      while (!channel.isWritable() && channel.isActive()) {
        writable.wait(100);
      }
    }
    if (!channel.isActive()) {
      frame.release();
      throw new MigrationException("send", "the connection to the destination was lost" + refusal());
    }
    channel.writeAndFlush(frame);
  }

  /** Waits for the next reply; an ERROR reply or a lost connection fails the migration. */
  Reply await(byte expected, Duration timeout, String phase) throws InterruptedException {
    Object r = replies.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (r == null) {
      throw new MigrationException(phase, "the destination did not answer within " + timeout.toSeconds() + " s");
    }
    if (r == CLOSED) {
      throw new MigrationException(phase, "the connection to the destination was lost" + refusal());
    }
    Reply reply = (Reply) r;
    if (reply.type == Frames.ERROR) {
      throw new MigrationException(phase, "the destination refused: " + reply.text());
    }
    if (reply.type != expected) {
      throw new MigrationException(phase, "unexpected reply type " + reply.type + " from the destination");
    }
    return reply;
  }

  /** A frame from the destination: its type and body. */
  /** The destination's ERROR reason, if it sent one before closing (it says why it hung up). */
  private String refusal() {
    for (Object r : replies) {
      if (r instanceof Reply reply && reply.type == Frames.ERROR) {
        return ": the destination refused: " + reply.text();
      }
    }
    return "";
  }

  record Reply(byte type, byte[] body) {
    String text() {
      return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }

    long longValue() {
      return java.nio.ByteBuffer.wrap(body).getLong();
    }

    /** The {@code index}th long of the body, or 0 when the body is shorter (a peer that does not report it). */
    long longAt(int index) {
      return body.length >= (index + 1) * 8 ? java.nio.ByteBuffer.wrap(body).getLong(index * 8) : 0;
    }
  }

  private static final Object CLOSED = new Object();

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
  }
}
