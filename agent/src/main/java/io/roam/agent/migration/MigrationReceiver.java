package io.roam.agent.migration;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.roam.agent.memory.GuestMemory;
import io.roam.agent.vm.VmManager;
import io.roam.agent.vm.VmOperationException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination's data plane: a Netty server that accepts a migration connection only with a
 * one-time token issued by {@link #open} and only from the source host's address, writes verified
 * page batches straight into the incoming VM's memory, and on COMMIT resumes the VM there.
 *
 * <p>If the connection is lost before everything was verified, the incoming VM is discarded. If,
 * after verification, it is lost, the source falls silent for the idle timeout ({@link Liveness}) or
 * the source sends ABORT, ZooKeeper decides, never the message: when ownership already names this
 * host the VM is resumed here; otherwise the owner record's version is bumped (fencing the source's
 * compare-and-set) and the VM is discarded, so that exactly one copy runs.
 */
public final class MigrationReceiver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MigrationReceiver.class);

  private final VmManager vms;
  private final Ownership ownership;
  private final String hostName;
  private final EventLoopGroup boss = Transports.group(1);
  private final EventLoopGroup workers = Transports.group(2);
  private final ExecutorService blocking = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "migration-receiver");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, IncomingSession> sessions = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Channel server;
  private final Liveness liveness;

  public MigrationReceiver(VmManager vms, Ownership ownership, String hostName, String address, int port)
      throws InterruptedException {
    this(vms, ownership, hostName, address, port, Liveness.DEFAULT);
  }

  MigrationReceiver(VmManager vms, Ownership ownership, String hostName, String address, int port, Liveness liveness)
      throws InterruptedException {
    this.vms = vms;
    this.ownership = ownership;
    this.hostName = hostName;
    this.liveness = liveness;
    server = new ServerBootstrap().group(boss, workers).channel(Transports.server())
        // Large reads: a batch is 1 MiB, and fewer, bigger reads leave more CPU for the copy.
        .childOption(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(1 << 20))
        .childOption(ChannelOption.SO_RCVBUF, 4 << 20)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(Frames.MAX_FRAME, 0, 4, 0, 4),
                new LengthFieldPrepender(4));
            liveness.install(ch.pipeline(), "source");
            ch.pipeline().addLast(new Handler());
          }
        }).bind(new InetSocketAddress(address, port)).sync().channel();
    long checkMs = Math.max(100, Math.min(5_000, liveness.connectTimeout().toMillis() / 4));
    workers.scheduleAtFixedRate(this::expireSessions, checkMs, checkMs, TimeUnit.MILLISECONDS);
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Registers an incoming migration (its VM already prepared) and returns its one-time token. */
  public String open(String vm, InetAddress sourceAddress, long ownerEpoch, long pageCount) {
    byte[] b = new byte[16];
    random.nextBytes(b);
    String token = HexFormat.of().formatHex(b);
    sessions.put(token, new IncomingSession(token, vm, sourceAddress, ownerEpoch, pageCount));
    return token;
  }

  private void expireSessions() {
    long now = System.nanoTime();
    sessions.values().removeIf(s -> {
      if (s.state == IncomingSession.State.PREPARED && now - s.createdNanos > liveness.connectTimeout().toNanos()) {
        LOG.warn("incoming migration of VM {}: the source never connected; discarding", s.vm);
        discard(s);
        return true;
      }
      return s.state == IncomingSession.State.COMMITTED || s.state == IncomingSession.State.DISCARDED;
    });
  }

  private void discard(IncomingSession s) {
    s.state = IncomingSession.State.DISCARDED;
    sessions.remove(s.token);
    blocking.execute(() -> {
      try {
        vms.discardIncoming(s.vm).get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.debug("discard of incoming VM {}: {}", s.vm, e.toString());
      }
    });
  }

  /**
   * The source is gone, silent or aborting after verification: the owner record, not the message,
   * says who runs the VM (DESIGN.md "Ambiguous compare-and-set"). Names this host at the session's
   * epoch: resume here. Still the version the source would compare-and-set: rewrite it unchanged
   * so that compare-and-set can no longer apply, then read again (whatever the rewrite answered,
   * the next read decides). Anything else: not ours, discard. Never leaves the VM INCOMING: while
   * ZooKeeper cannot be read it keeps trying, and fencing powers the VM off if the session is lost.
   * Called on the connection's event loop.
   */
  private void resolveByOwnership(IncomingSession s, String why) {
    if (s.state != IncomingSession.State.VERIFIED) {
      return;
    }
    s.state = IncomingSession.State.RESOLVING;
    LOG.warn("incoming migration of VM {}: {} after verification; the owner record decides", s.vm, why);
    blocking.execute(() -> {
      long backoffMs = 100;
      while (!blocking.isShutdown()) {
        try {
          Optional<Ownership.Owner> o = ownership.read(s.vm);
          switch (OwnershipDecisions.resolveIncoming(o, hostName, s.ownerEpoch, s.ownerVersion, s.migrationTag)) {
            case COMMIT -> {
              LOG.warn("VM {}: the owner record names this host at epoch {}; resuming it here", s.vm, s.ownerEpoch);
              commit(s, null);
              return;
            }
            case DISCARD -> {
              LOG.warn("VM {}: the owner record names {}; discarding the copy here", s.vm,
                  o.map(r -> r.host() + " at epoch " + r.epoch()).orElse("nobody"));
              discard(s);
              return;
            }
            case FENCE_SOURCE -> {
              try {
                ownership.compareAndSet(s.vm, s.ownerVersion, o.get().host(), o.get().epoch(), o.get().migration());
              } catch (Exception e) {
                LOG.warn("VM {}: fencing the source's compare-and-set has no clear answer ({}); reading again", s.vm,
                    e.toString());
              }
            }
          }
        } catch (Exception e) {
          LOG.warn("VM {}: cannot read its owner record ({}); trying again", s.vm, e.toString());
          try {
            Thread.sleep(backoffMs);
          } catch (InterruptedException ie) {
            return;
          }
          backoffMs = Math.min(5_000, backoffMs * 2);
        }
      }
    });
  }

  private void commit(IncomingSession s, ChannelHandlerContext ctx) {
    s.state = IncomingSession.State.COMMITTING;
    vms.commitIncoming(s.vm, s.ownerEpoch, s.migrationTag).whenComplete((view, err) -> {
      if (err != null) {
        LOG.error("VM {}: resuming after migration failed: {}", s.vm, err.toString());
        Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
            ? err.getCause() : err;
        if (cause instanceof VmOperationException v && v.kind() == VmOperationException.Kind.NOT_OWNER) {
          discard(s); // the record does not name this host at the session's epoch: not ours to run
        }
        if (ctx != null) {
          fail(ctx, "resume on the destination failed: " + err.getMessage());
        }
        return;
      }
      s.state = IncomingSession.State.COMMITTED;
      sessions.remove(s.token);
      if (ctx != null) {
        ctx.writeAndFlush(Frames.text(ctx.alloc(), Frames.COMMITTED, view.endpoint() == null ? "" : view.endpoint()));
      }
    });
  }

  /**
   * Sends ERROR and closes the connection a little later, not at once: a source still writing
   * would otherwise get a reset and might never read why it was refused.
   */
  private static void fail(ChannelHandlerContext ctx, String why) {
    ctx.writeAndFlush(Frames.text(ctx.alloc(), Frames.ERROR, why));
    ctx.executor().schedule(() -> ctx.close(), 1, TimeUnit.SECONDS);
  }

  /** One connection: one migration. */
  private final class Handler extends SimpleChannelInboundHandler<ByteBuf> {
    private IncomingSession session;
    /** After a refusal, frames still in flight from the source are dropped until the close. */
    private boolean rejected;

    private void reject(ChannelHandlerContext ctx, String why) {
      if (rejected) {
        return;
      }
      rejected = true;
      IncomingSession s = session;
      if (s != null && (s.state == IncomingSession.State.PREPARED || s.state == IncomingSession.State.CONNECTED)) {
        discard(s);
      }
      fail(ctx, why);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) throws Exception {
      if (rejected) {
        return;
      }
      byte type = frame.readByte();
      if (session == null) {
        hello(ctx, type, frame);
        return;
      }
      switch (type) {
        case Frames.PAGES -> pages(frame);
        case Frames.ZEROS -> zeros(frame);
        case Frames.ROUND_END -> ctx.writeAndFlush(Frames.withLong(ctx.alloc(), Frames.ROUND_ACK, frame.readLong()));
        case Frames.COMPLETE -> complete(ctx, frame);
        case Frames.COMMIT -> {
          if (session.state != IncomingSession.State.VERIFIED) {
            throw new MigrationException("commit", "COMMIT before the memory was verified");
          }
          long epoch = frame.readLong();
          if (epoch != session.ownerEpoch) {
            throw new MigrationException("commit", "COMMIT for owner epoch " + epoch + ", expected " + session.ownerEpoch);
          }
          commit(session, ctx);
        }
        case Frames.ABORT -> {
          String why = Frames.readText(frame);
          LOG.info("incoming migration of VM {} aborted by the source: {}", session.vm, why);
          if (session.state == IncomingSession.State.VERIFIED) {
            // The source may have aborted on an unclear compare-and-set that in fact applied.
            resolveByOwnership(session, "the source aborted (" + why + ")");
          } else if (session.state == IncomingSession.State.PREPARED || session.state == IncomingSession.State.CONNECTED) {
            discard(session);
          }
          ctx.close();
        }
        default -> throw new MigrationException("frame", "unknown frame type " + type);
      }
    }

    private void hello(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
      if (type != Frames.HELLO) {
        reject(ctx, "expected HELLO, got frame type " + type);
        return;
      }
      String token = Frames.readText(frame);
      IncomingSession s = sessions.get(token);
      InetAddress peer = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
      if (s == null || s.state != IncomingSession.State.PREPARED) {
        LOG.warn("migration connection from {} with an unknown or used token: rejected", peer);
        reject(ctx, "unknown or used migration token");
        return;
      }
      if (!peer.equals(s.expectedPeer)) {
        LOG.warn("migration connection for VM {} from {} (expected {}): rejected", s.vm, peer, s.expectedPeer);
        reject(ctx, "connection from " + peer.getHostAddress() + " is not from the source host");
        return;
      }
      s.state = IncomingSession.State.CONNECTED;
      session = s;
      ctx.writeAndFlush(Frames.empty(ctx.alloc(), Frames.READY));
    }

    private void pages(ByteBuf f) {
      FaultPoints.hit(FaultPoints.DEST_ON_PAGES);
      f.readLong(); // round
      int n = f.readInt();
      if (n <= 0 || n > Frames.BATCH) {
        throw new MigrationException("pages", "batch of " + n + " pages");
      }
      long[] pages = new long[n];
      for (int i = 0; i < n; i++) {
        pages[i] = f.readLong();
        if (pages[i] < 0 || pages[i] >= session.pageCrcs.length) {
          throw new MigrationException("pages", "page " + pages[i] + " is outside the VM's memory");
        }
      }
      f.skipBytes(n * 4); // the sender's per-page checksums: folded into the batch checksum
      int batchCrc = f.readInt();
      if (f.readableBytes() != n * Frames.PAGE) {
        throw new MigrationException("pages", "batch of " + n + " pages carries " + f.readableBytes() + " bytes");
      }
      int[] crcs = new int[n];
      int base = f.readerIndex();
      for (int i = 0; i < n; i++) {
        crcs[i] = Frames.crc(f.nioBuffer(base + i * Frames.PAGE, Frames.PAGE));
      }
      // The batch checksum covers page numbers and the checksum of each page's bytes as sent; the
      // receiver recomputes the latter from the bytes that arrived, so one comparison checks all.
      if (Frames.batchCrc(pages, crcs, n) != batchCrc) {
        throw new MigrationException("pages", "checksum mismatch in a batch of " + n + " pages");
      }
      vms.withIncomingMemory(session.vm, (GuestMemory m) -> {
        for (int i = 0; i < n; i++) {
          m.loadPage(pages[i], f.nioBuffer(base + i * Frames.PAGE, Frames.PAGE));
          session.pageCrcs[(int) pages[i]] = crcs[i];
        }
        return null;
      });
    }

    private void zeros(ByteBuf f) {
      int n = f.readInt();
      if (n <= 0 || n > Frames.MAX_FRAME / 8) {
        throw new MigrationException("zeros", "batch of " + n + " zero pages");
      }
      long[] pages = new long[n];
      for (int i = 0; i < n; i++) {
        pages[i] = f.readLong();
        if (pages[i] < 0 || pages[i] >= session.pageCrcs.length) {
          throw new MigrationException("zeros", "page " + pages[i] + " is outside the VM's memory");
        }
      }
      if (Frames.pagesCrc(pages, n) != f.readInt()) {
        throw new MigrationException("zeros", "checksum mismatch in a batch of zero pages");
      }
      java.nio.ByteBuffer zero = java.nio.ByteBuffer.allocate(Frames.PAGE);
      vms.withIncomingMemory(session.vm, (GuestMemory m) -> {
        for (long p : pages) {
          if (session.pageCrcs[(int) p] != Frames.ZERO_PAGE_CRC || !m.isZeroPage(p)) {
            m.loadPage(p, zero.clear());
          }
          session.pageCrcs[(int) p] = Frames.ZERO_PAGE_CRC;
        }
        return null;
      });
    }

    private void complete(ChannelHandlerContext ctx, ByteBuf f) {
      long tableDigest = f.readLong();
      long fullDigest = f.readLong();
      int ownerVersion = f.readInt();
      byte[] state = new byte[f.readInt()];
      f.readBytes(state);
      IncomingSession s = session;
      blocking.execute(() -> {
        try {
          long mine = Frames.tableDigest(s.pageCrcs);
          if (mine != tableDigest) {
            throw new MigrationException("verify", "memory digest mismatch: source " + tableDigest + ", destination " + mine);
          }
          vms.withIncomingMemory(s.vm, (GuestMemory m) -> {
            if (fullDigest != -1 && m.digest() != fullDigest) {
              throw new MigrationException("verify", "full memory digest mismatch");
            }
            m.header().setRuntimeState(state);
            return null;
          });
          s.ownerVersion = ownerVersion;
          s.state = IncomingSession.State.VERIFIED;
          ctx.writeAndFlush(Frames.empty(ctx.alloc(), Frames.VERIFIED));
        } catch (RuntimeException e) {
          LOG.warn("incoming migration of VM {}: {}", s.vm, e.getMessage());
          ctx.executor().execute(() -> reject(ctx, e.getMessage()));
        }
      });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      IncomingSession s = session;
      if (s == null || rejected) {
        return;
      }
      switch (s.state) {
        case PREPARED, CONNECTED -> {
          LOG.warn("incoming migration of VM {}: connection lost before verification; discarding", s.vm);
          discard(s);
        }
        case VERIFIED -> resolveByOwnership(s, "the connection to the source was lost");
        default -> {
          // committing, committed or discarded: nothing left to decide
        }
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (rejected) {
        return;
      }
      LOG.warn("incoming migration{}: {}; rejecting", session == null ? "" : " of VM " + session.vm, cause.toString());
      reject(ctx, cause instanceof MigrationException ? cause.getMessage() : "malformed frame: " + cause);
    }
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    blocking.shutdownNow();
  }
}
