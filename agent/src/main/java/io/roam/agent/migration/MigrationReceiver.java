package io.roam.agent.migration;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.roam.agent.memory.GuestMemory;
import io.roam.agent.vm.VmManager;
import io.roam.agent.vm.VmOperationException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination's data plane: a Netty server that accepts a migration connection only over
 * mutual TLS, only from the agent whose certificate names the source host given to {@link #open},
 * and only with the one-time token {@link #open} issued; it writes verified page batches straight
 * into the incoming VM's memory, and on COMMIT resumes the VM there.
 *
 * <p>Hostile peers: frames are bounded before they are read and parsed by {@link IncomingFrame}
 * before anything is allocated for them; the TLS handshake has a timeout, and a connection without
 * a valid HELLO within the hello timeout is closed, as is any malformed frame (one log line).
 *
 * <p>With encryption off (both agents' setting), the destination answers HELLO with READY still
 * encrypted, flushes it and removes TLS in the same event-loop task, before it reads anything more;
 * the source, which sends nothing between HELLO and READY, removes its TLS when it has read READY.
 *
 * <p>If the connection ends (closed, reset, or refused for a bad frame) before everything was
 * verified, the incoming VM is discarded. If, after verification, it ends, the source falls silent for the idle timeout ({@link Liveness}) or
 * the source sends ABORT, ZooKeeper decides, never the message: when ownership already names this
 * host the VM is resumed here; otherwise the owner record's version is bumped (fencing the source's
 * compare-and-set) and the VM is discarded, so that exactly one copy runs.
 */
public final class MigrationReceiver implements AutoCloseable {
  static final String TLS = "tls";
  /** Resumes that fail other than by the owner record before the copy is left to HA. */
  private static final int MAX_RESUME_FAILURES = 3;
  /** Longer than the VM manager's boot timeout, which fails the wait first. */
  private static final long READY_TIMEOUT_SECONDS = 120;
  private static final Logger LOG = LoggerFactory.getLogger(MigrationReceiver.class);

  private final VmManager vms;
  private final Ownership ownership;
  private final String hostName;
  private final EventLoopGroup boss = Transports.group(1);
  private final EventLoopGroup workers = Transports.group(2);
  /** A few tasks per incoming migration (commit, discard, resolving by ownership). */
  private final ExecutorService blocking = io.roam.common.concurrent.BoundedPools.of("migration-receiver", 64);
  private final Map<String, IncomingSession> sessions = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Channel server;
  private final Liveness liveness;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private final DataPlaneSecurity security;

  public MigrationReceiver(VmManager vms, Ownership ownership, String hostName, String address, int port,
      DataPlaneSecurity security) throws InterruptedException {
    this(vms, ownership, hostName, address, port, security, Liveness.DEFAULT);
  }

  MigrationReceiver(VmManager vms, Ownership ownership, String hostName, String address, int port,
      DataPlaneSecurity security, Liveness liveness) throws InterruptedException {
    this.security = security;
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
            ch.pipeline().addLast(TLS, security.newServerHandler(ch.alloc()));
            ch.pipeline().addLast(new FrameReader(), new LengthFieldPrepender(4));
            liveness.install(ch.pipeline(), "source");
            ch.pipeline().addLast(new Handler());
          }
        }).bind(new InetSocketAddress(address, port)).sync().channel();
    LOG.info("migration data plane on port {}: mutual TLS by {}, page stream {}", port(), security.provider(),
        security.encryption() == MigrationEncryption.TLS ? "encrypted" : "in plaintext when the source agrees");
    long checkMs = Math.max(100, Math.min(5_000, liveness.connectTimeout().toMillis() / 4));
    workers.scheduleAtFixedRate(this::expireSessions, checkMs, checkMs, TimeUnit.MILLISECONDS);
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /**
   * Registers an incoming migration (its VM already prepared) from the agent of {@code sourceHost}
   * and returns its one-time token.
   */
  public String open(String vm, String sourceHost, long ownerEpoch, long pageCount) {
    return open(vm, sourceHost, ownerEpoch, pageCount, false);
  }

  /**
   * As {@link #open(String, String, long, long)}; with {@code ft} the incoming VM is a hot
   * secondary kept up to date by checkpoints, resumed only by {@link #promote}.
   */
  public String open(String vm, String sourceHost, long ownerEpoch, long pageCount, boolean ft) {
    byte[] b = new byte[16];
    random.nextBytes(b);
    String token = HexFormat.of().formatHex(b);
    sessions.put(token, new IncomingSession(token, vm, sourceHost, ownerEpoch, pageCount, ft ? hostName : null));
    return token;
  }

  /**
   * FT failover: resumes the hot secondary of {@code vm} from its last whole checkpoint, under the
   * epoch the session was prepared for. The leader has already moved the owner record here by
   * compare-and-set with this session's tag, and the VM manager checks that record before the VM
   * runs (a promote that the record does not back is refused, and the copy discarded). The
   * primary's connection, if still open, is closed first, so no checkpoint lands during the resume.
   */
  public CompletableFuture<VmManager.CommittedIncoming> promote(String vm) {
    IncomingSession s = sessions.values().stream().filter(x -> x.ft && x.vm.equals(vm)).findFirst().orElse(null);
    if (s == null || !(s.transition(IncomingSession.State.PROTECTED, IncomingSession.State.COMMITTING)
        || s.transition(IncomingSession.State.STANDBY, IncomingSession.State.COMMITTING))) {
      return CompletableFuture.failedFuture(new VmOperationException(VmOperationException.Kind.BAD_STATE,
          "VM " + vm + " has no protected secondary on host " + hostName + (s == null ? "" : " (it is " + s.state + ")")));
    }
    io.netty.channel.Channel ch = s.channel;
    CompletableFuture<Void> closed = new CompletableFuture<>();
    if (ch != null) {
      // On the channel's event loop: a checkpoint being applied there finishes before the close.
      ch.eventLoop().execute(() -> ch.close().addListener(f -> closed.complete(null)));
    } else {
      closed.complete(null);
    }
    LOG.warn("VM {}: promoting the secondary here from checkpoint {} (owner epoch {})", vm, s.checkpointsApplied,
        s.ownerEpoch);
    return closed.thenComposeAsync(x -> vms.commitIncomingTimed(s.vm, s.ownerEpoch, s.migrationTag), blocking)
        .whenComplete((done, err) -> {
          if (err == null) {
            s.state = IncomingSession.State.COMMITTED;
            sessions.remove(s.token);
          } else {
            Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                ? err.getCause() : err;
            LOG.error("VM {}: promoting the secondary failed: {}", vm, cause.toString());
            if (cause instanceof VmOperationException v && v.kind() == VmOperationException.Kind.NOT_OWNER) {
              discard(s); // the record does not name this host at the session's epoch: never ours to run
            } else {
              s.state = IncomingSession.State.STANDBY; // the leader may try again, or discard it
            }
          }
        });
  }

  /** FT: the state of the hot secondary of {@code vm} here ("protected at checkpoint 12"), or null. */
  public String secondaryState(String vm) {
    return sessions.values().stream().filter(x -> x.ft && x.vm.equals(vm)).findFirst()
        .map(x -> x.state.name().toLowerCase(java.util.Locale.ROOT) + " at checkpoint " + x.checkpointsApplied)
        .orElse(null);
  }

  private void expireSessions() {
    long now = System.nanoTime();
    sessions.values().stream().filter(s -> s.ft && s.state == IncomingSession.State.STANDBY)
        .filter(s -> s.settling.compareAndSet(false, true)).forEach(s -> blocking.execute(() -> {
          try {
            settleStandby(s);
          } finally {
            s.settling.set(false);
          }
        }));
    sessions.values().removeIf(s -> {
      if (now - s.createdNanos > liveness.connectTimeout().toNanos()
          && s.transition(IncomingSession.State.PREPARED, IncomingSession.State.DISCARDED)) {
        LOG.warn("incoming migration of VM {}: the source never connected; discarding", s.vm);
        discard(s);
        return true;
      }
      return s.state == IncomingSession.State.COMMITTED || s.state == IncomingSession.State.DISCARDED;
    });
  }

  /**
   * A secondary whose primary's stream ended waits for the leader's decision, which the owner record
   * shows: while it carries this protection's tag (the primary's host may be dead, and the leader
   * about to promote this copy) the copy waits; once the tag is gone (the primary ended the
   * protection and runs on alone, or the VM went elsewhere) nobody can promote it, and it goes.
   */
  private void settleStandby(IncomingSession s) {
    try {
      Optional<Ownership.Owner> o = ownership.read(s.vm);
      if (o.isPresent() && o.get().host().equals(hostName) && o.get().epoch() == s.ownerEpoch
          && s.migrationTag.equals(o.get().migration())) {
        // The leader moved the record here but its promote never arrived (it died, the call
        // failed): the record decides, as for a migration's destination.
        LOG.warn("VM {}: the owner record names this secondary at epoch {}; resuming it here", s.vm, s.ownerEpoch);
        promote(s.vm);
        return;
      }
      if ((o.isEmpty() || !s.migrationTag.equals(o.get().migration()))
          && s.transition(IncomingSession.State.STANDBY, IncomingSession.State.DISCARDED)) {
        LOG.warn("VM {}: the owner record no longer carries this secondary's tag ({}); discarding the secondary", s.vm,
            o.map(r -> r.host() + " at epoch " + r.epoch()).orElse("no record"));
        discard(s);
      }
    } catch (Exception e) {
      LOG.debug("VM {}: cannot read the owner record for the waiting secondary: {}", s.vm, e.toString());
    }
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
    if (!s.transition(IncomingSession.State.VERIFIED, IncomingSession.State.RESOLVING)) {
      return; // not verified, or already being resolved: one resolution per session
    }
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
                ownership.fence(s.vm, s.ownerVersion);
              } catch (Exception e) {
                LOG.warn("VM {}: fencing the source's compare-and-set has no clear answer ({}); reading again", s.vm,
                    e.toString());
                // A read that works and a rewrite that keeps failing must not spin against ZooKeeper.
                try {
                  Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                  return;
                }
                backoffMs = Math.min(5_000, backoffMs * 2);
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
    long commitAt = System.nanoTime();
    vms.commitIncomingTimed(s.vm, s.ownerEpoch, s.migrationTag).whenComplete((done, err) -> {
      if (err != null) {
        LOG.error("VM {}: resuming after migration failed: {}", s.vm, err.toString());
        Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
            ? err.getCause() : err;
        if (cause instanceof VmOperationException v && v.kind() == VmOperationException.Kind.NOT_OWNER) {
          discard(s); // the record does not name this host at the session's epoch: not ours to run
        } else if (++s.resumeFailures < MAX_RESUME_FAILURES) {
          // Not a refusal: the record could not be read, or the program did not resume. Left so, the
          // copy would wait INCOMING, a second process beside whatever runs, until HA boots the VM
          // afresh (its memory lost) if the record names this host, and for ever if it does not. The
          // owner record decides again, as when the source is lost after verification.
          s.state = IncomingSession.State.VERIFIED;
          resolveByOwnership(s, "resuming failed (" + cause.getMessage() + ")");
        } else {
          LOG.error("VM {}: resuming failed {} times; HA starts it afresh if its owner record names this host",
              s.vm, s.resumeFailures);
        }
        if (ctx != null) {
          fail(ctx, "resume on the destination failed: " + err.getMessage());
        }
        return;
      }
      s.state = IncomingSession.State.COMMITTED;
      sessions.remove(s.token);
      if (ctx != null) {
        // The resume's own time goes back with the reply, for the migration's phases (MigrationPhases).
        String endpoint = done.view().endpoint() == null ? "" : done.view().endpoint();
        byte[] text = endpoint.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ctx.writeAndFlush(ctx.alloc().buffer(1 + 16 + text.length).writeByte(Frames.COMMITTED)
            .writeLong((System.nanoTime() - commitAt) / 1000).writeLong(done.goMicros()).writeBytes(text));
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

  /** One connection: one migration. Runs on the connection's event loop. */
  private final class Handler extends ChannelInboundHandlerAdapter {
    private IncomingSession session;
    /** FT: the checkpoint arriving now (between CHECKPOINT_BEGIN and CHECKPOINT), or null. */
    private CheckpointStage stage;
    /** FT: checkpoints began; from then on every page belongs to one (the seed is over). */
    private boolean checkpointing;
    /** The PAGES frame whose bytes are arriving, or null; {@link #landed} of its pages are in place. */
    private IncomingFrame.Pages batch;
    private int landed;
    /** A page split across two socket reads, collected here (the rest of a batch lands in place). */
    private final java.nio.ByteBuffer split = java.nio.ByteBuffer.allocateDirect(Frames.PAGE);
    private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    /** Pages whose bytes did not match the checksum sent with them: changed while the source sent them. */
    private long changedInFlight;
    /** After a refusal, frames still in flight from the source are dropped until the close. */
    private boolean rejected;
    private ScheduledFuture<?> helloDeadline;

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      // Bounds the handshake and HELLO together: a peer that connects and says nothing, or
      // keeps sending keepalives, or handshakes slowly, holds a connection this long at most.
      helloDeadline = ctx.executor().schedule(() -> {
        if (session == null && ctx.channel().isActive()) {
          LOG.warn("migration connection from {}: no HELLO within {} ms; closed", ctx.channel().remoteAddress(),
              security.helloTimeout().toMillis());
          ctx.close();
        }
      }, security.helloTimeout().toMillis(), TimeUnit.MILLISECONDS);
      super.channelActive(ctx);
    }

    private void reject(ChannelHandlerContext ctx, String why) {
      if (rejected) {
        return;
      }
      rejected = true;
      IncomingSession s = session;
      if (s != null) {
        connectionEnded(s, why);
      }
      fail(ctx, why);
    }

    /**
     * The one rule for a connection that ends while its migration is undecided, whether it closed,
     * broke (a killed source's kernel resets it) or was refused: before verification the copy is
     * discarded; after it, the owner record decides. A refusal once skipped the second half, and a
     * copy verified just before its source was killed waited as a second process for good.
     */
    private void connectionEnded(IncomingSession s, String why) {
      if (stage != null) {
        LOG.warn("VM {}: checkpoint {} was cut short ({}); not applied", s.vm, stage.checkpoint, why);
        stage.release();
        stage = null;
      }
      s.channel = null;
      if (s.ft && s.transition(IncomingSession.State.PROTECTED, IncomingSession.State.STANDBY)) {
        LOG.warn("VM {}: the primary's checkpoint stream ended ({}); the secondary waits at checkpoint {} for the"
            + " leader to promote or discard it", s.vm, why, s.checkpointsApplied);
        return;
      }
      switch (s.state) {
        case PREPARED, CONNECTED -> {
          LOG.warn("incoming migration of VM {}: {} before verification; discarding", s.vm, why);
          discard(s);
        }
        case VERIFIED -> resolveByOwnership(s, why);
        default -> {
          // resolving, committing, committed or discarded: decided already
        }
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (rejected) {
          return;
        }
        if (msg instanceof FrameReader.PageBytes bytes) {
          pageBytes(bytes.bytes());
        } else if (msg instanceof IncomingFrame.Pages p) {
          if (session == null) {
            hello(ctx, p);
          } else {
            pages(p);
          }
        } else if (msg instanceof ByteBuf buf) {
          frame(ctx, IncomingFrame.parse(buf));
        }
      } finally {
        if (msg instanceof FrameReader.PageBytes bytes) {
          bytes.bytes().release();
        } else {
          io.netty.util.ReferenceCountUtil.release(msg);
        }
      }
    }

    private void frame(ChannelHandlerContext ctx, IncomingFrame frame) {
      if (session == null) {
        hello(ctx, frame);
        return;
      }
      if (batch != null) {
        throw new MigrationException("pages", "a frame inside a PAGES frame"); // the frame reader prevents it
      }
      if (frame instanceof IncomingFrame.Zeros z) {
        zeros(z);
      } else if (frame instanceof IncomingFrame.RoundEnd r) {
        ctx.writeAndFlush(Frames.withLong(ctx.alloc(), Frames.ROUND_ACK, r.round()));
      } else if (frame instanceof IncomingFrame.CheckpointBegin b) {
        checkpointBegin(b);
      } else if (frame instanceof IncomingFrame.Checkpoint c) {
        checkpoint(ctx, c);
      } else if (frame instanceof IncomingFrame.Complete c) {
        if (session.ft) {
          throw new MigrationException("verify", "COMPLETE on a secondary's checkpoint stream");
        }
        complete(ctx, c);
      } else if (frame instanceof IncomingFrame.Commit c) {
        if (session.state != IncomingSession.State.VERIFIED) {
          throw new MigrationException("commit", "COMMIT before the memory was verified");
        }
        if (c.ownerEpoch() != session.ownerEpoch) {
          throw new MigrationException("commit", "COMMIT for owner epoch " + c.ownerEpoch() + ", expected "
              + session.ownerEpoch);
        }
        commit(session, ctx);
      } else if (frame instanceof IncomingFrame.Abort a) {
        LOG.info("incoming migration of VM {} aborted by the source: {}", session.vm, a.reason());
        if (session.ft && session.transition(IncomingSession.State.PROTECTED, IncomingSession.State.STANDBY)) {
          // Protection ended on the primary: this copy goes once the record no longer carries its
          // tag (settleStandby), never before, or a failover in between would find no copy here.
          LOG.info("VM {}: the primary ended the protection; the secondary waits for the owner record", session.vm);
        } else if (session.state == IncomingSession.State.VERIFIED) {
          // The source may have aborted on an unclear compare-and-set that in fact applied.
          resolveByOwnership(session, "the source aborted (" + a.reason() + ")");
        } else if (session.state == IncomingSession.State.PREPARED || session.state == IncomingSession.State.CONNECTED) {
          discard(session);
        }
        ctx.close();
      } else {
        throw new MigrationException("frame", "a second HELLO");
      }
    }

    /**
     * The first frame: HELLO with a token we issued, over a TLS session whose peer certificate
     * names the source host of that token's migration. A refused peer changes nothing: the session
     * stays prepared for the real source (or expires as usual).
     */
    private void hello(ChannelHandlerContext ctx, IncomingFrame frame) {
      if (!(frame instanceof IncomingFrame.Hello hello)) {
        reject(ctx, "expected HELLO first");
        return;
      }
      SslHandler tls = (SslHandler) ctx.pipeline().get(TLS);
      IncomingSession s = sessions.get(hello.token());
      if (s == null || s.state != IncomingSession.State.PREPARED) { // checked again when it is taken, below
        LOG.warn("migration connection from {} with an unknown or used token: rejected", ctx.channel().remoteAddress());
        reject(ctx, "unknown or used migration token");
        return;
      }
      String notTheSource = DataPlaneSecurity.agentNamed(tls, s.sourceHost);
      if (notTheSource != null) {
        LOG.warn("migration connection for VM {} from {}: {}; rejected", s.vm, ctx.channel().remoteAddress(), notTheSource);
        reject(ctx, "not the source host's agent: " + notTheSource);
        return;
      }
      if (!s.transition(IncomingSession.State.PREPARED, IncomingSession.State.CONNECTED)) {
        LOG.warn("migration connection for VM {} from {}: the session expired or was taken meanwhile; rejected", s.vm,
            ctx.channel().remoteAddress());
        reject(ctx, "unknown or used migration token");
        return;
      }
      session = s;
      s.channel = ctx.channel();
      helloDeadline.cancel(false);
      boolean plaintext = hello.encryption() == MigrationEncryption.OFF && security.encryption() == MigrationEncryption.OFF;
      MigrationEncryption agreed = plaintext ? MigrationEncryption.OFF : MigrationEncryption.TLS;
      ctx.writeAndFlush(Frames.text(ctx.alloc(), Frames.READY, agreed.label()));
      if (plaintext) {
        // READY went through TLS above (flushed, so nothing waits in the handler); from here on,
        // both directions are plaintext. The source sent nothing after HELLO, so no TLS record
        // can follow in this direction.
        ctx.pipeline().remove(TLS);
      }
      LOG.info("incoming migration of VM {} from agent {}: page stream {}", s.vm, s.sourceHost,
          plaintext ? "in plaintext (encryption off)" : "encrypted");
    }

    /**
     * A PAGES header: its page numbers and per-page checksums must match the batch checksum (a
     * mismatch is corruption of the header, fatal: the bytes would land in the wrong places). The
     * page bytes follow in {@link #pageBytes}.
     */
    private void pages(IncomingFrame.Pages p) {
      FaultPoints.hit(FaultPoints.DEST_ON_PAGES);
      if (checkpointing && stage == null) {
        throw new MigrationException("checkpoint", "pages outside a checkpoint on a secondary's stream");
      }
      long[] pages = p.pages();
      for (long page : pages) {
        if (page < 0 || page >= session.pageCrcs.pages()) {
          throw new MigrationException("pages", "page " + page + " is outside the VM's memory");
        }
      }
      if (Frames.batchCrc(pages, p.crcs(), pages.length) != p.batchCrc()) {
        throw new MigrationException("pages", "checksum mismatch in a batch of " + pages.length + " pages");
      }
      batch = p;
      landed = 0;
    }

    /**
     * Page bytes as they came off the socket: each whole page is checksummed while it is in the
     * cache and written once, by a positional write, into the memory file (runs of consecutive
     * pages in one write); a page split between two reads is gathered in {@link #split} first.
     */
    private void pageBytes(ByteBuf b) {
      vms.withIncomingMemory(session.vm, (GuestMemory m) -> {
        while (b.isReadable()) {
          if (split.position() > 0 || b.readableBytes() < Frames.PAGE) {
            int take = Math.min(Frames.PAGE - split.position(), b.readableBytes());
            b.readBytes(split.limit(split.position() + take));
            split.limit(Frames.PAGE);
            if (split.position() == Frames.PAGE) {
              land(m, split.flip(), 1);
              split.clear();
            }
            continue;
          }
          long[] pages = batch.pages();
          int most = Math.min(b.readableBytes() / Frames.PAGE, pages.length - landed);
          int run = 1;
          while (run < most && pages[landed + run] == pages[landed + run - 1] + 1) {
            run++;
          }
          land(m, b.nioBuffer(b.readerIndex(), run * Frames.PAGE), run);
          b.skipBytes(run * Frames.PAGE);
        }
        return null;
      });
    }

    /**
     * Checks and writes {@code run} consecutive pages of the batch. A page whose bytes do not match
     * the checksum the source sent changed while the source sent it (the source sends straight from
     * the guest's memory, after checksumming it): the guest wrote it after its dirty bit was
     * cleared, so it is dirty again and comes again in a later round. It is written all the same,
     * and its table entry becomes the checksum of what arrived, so a page that never comes again
     * (corruption, not a change) fails the table digest at COMPLETE (DESIGN.md "Sending straight
     * from guest memory").
     */
    private void land(GuestMemory m, java.nio.ByteBuffer src, int run) {
      long[] pages = batch.pages();
      int[] sent = batch.crcs();
      int base = src.position();
      for (int k = 0; k < run; k++) {
        java.nio.ByteBuffer page = src.slice(base + k * Frames.PAGE, Frames.PAGE);
        crc.reset();
        crc.update(page);
        page.rewind(); // no second buffer per page on the copy's path: the slice is read again as is
        int got = (int) crc.getValue();
        if (stage != null) {
          // An FT checkpoint was copied with its VM paused: a page cannot have changed in flight.
          if (got != sent[landed + k]) {
            throw new MigrationException("checkpoint", "page " + pages[landed + k] + " of checkpoint "
                + stage.checkpoint + " does not match its checksum");
          }
          stage.add(pages[landed + k], page, got);
          continue;
        }
        if (got != sent[landed + k]) {
          changedInFlight++;
        }
        session.pageCrcs.set(pages[landed + k], got);
      }
      if (stage == null) {
        try {
          m.writePages(pages[landed], src);
        } catch (java.io.IOException e) {
          throw new MigrationException("pages", "cannot write pages into the VM's memory file: " + e.getMessage());
        }
      }
      landed += run;
      if (landed == pages.length) {
        batch = null;
      }
    }

    private void zeros(IncomingFrame.Zeros z) {
      if (checkpointing) { // a checkpoint names every page it carries, zero or not
        throw new MigrationException("checkpoint", "ZEROS on a secondary's stream after the seed");
      }
      long[] pages = z.pages();
      for (long page : pages) {
        if (page < 0 || page >= session.pageCrcs.pages()) {
          throw new MigrationException("zeros", "page " + page + " is outside the VM's memory");
        }
      }
      if (Frames.pagesCrc(pages, pages.length) != z.crc()) {
        throw new MigrationException("zeros", "checksum mismatch in a batch of zero pages");
      }
      java.nio.ByteBuffer zero = java.nio.ByteBuffer.allocate(Frames.PAGE);
      vms.withIncomingMemory(session.vm, (GuestMemory m) -> {
        for (long p : pages) {
          if (session.pageCrcs.get(p) != Frames.ZERO_PAGE_CRC || !m.isZeroPage(p)) {
            m.loadPage(p, zero.clear());
          }
          session.pageCrcs.set(p, Frames.ZERO_PAGE_CRC);
        }
        return null;
      });
    }

    private void checkpointBegin(IncomingFrame.CheckpointBegin b) {
      boolean streaming = session.state == IncomingSession.State.CONNECTED
          || session.state == IncomingSession.State.PROTECTED;
      if (!session.ft || !streaming || stage != null || b.checkpoint() != session.checkpointsApplied + 1) {
        throw new MigrationException("checkpoint", "CHECKPOINT_BEGIN " + b.checkpoint() + " out of place (after "
            + session.checkpointsApplied + ", state " + session.state + ")");
      }
      stage = new CheckpointStage(b.checkpoint());
      checkpointing = true;
    }

    /**
     * A checkpoint's end: applied whole if its digest matches, then acknowledged (the primary then
     * releases the output it held for it). The first one also waits for the VM's JVM to be ready
     * here: only then is this copy one a failover can resume.
     */
    private void checkpoint(ChannelHandlerContext ctx, IncomingFrame.Checkpoint c) {
      if (stage == null || stage.checkpoint != c.checkpoint()) {
        throw new MigrationException("checkpoint", "CHECKPOINT " + c.checkpoint() + " without its CHECKPOINT_BEGIN");
      }
      CheckpointStage st = stage;
      stage = null;
      IncomingSession s = session;
      long t0 = System.nanoTime();
      boolean applied;
      try {
        applied = vms.withIncomingMemory(s.vm, (GuestMemory m) -> {
          try {
            if (!st.apply(s.pageCrcs, c.tableDigest(), m)) {
              return false;
            }
          } catch (java.io.IOException e) {
            // Part of it may be written: this copy is no checkpoint any more, and must never resume.
            if (s.transition(IncomingSession.State.PROTECTED, IncomingSession.State.DISCARDED)
                || s.transition(IncomingSession.State.CONNECTED, IncomingSession.State.DISCARDED)) {
              discard(s);
            }
            throw new MigrationException("checkpoint", "cannot write checkpoint " + c.checkpoint()
                + " into the VM's memory file (the secondary is discarded): " + e.getMessage());
          }
          m.header().setRuntimeState(c.runtimeState());
          return true;
        });
      } finally {
        st.release();
      }
      if (!applied) {
        throw new MigrationException("checkpoint", "checkpoint " + c.checkpoint()
            + " does not match the primary's memory digest; not applied");
      }
      s.checkpointsApplied = c.checkpoint();
      long applyMicros = (System.nanoTime() - t0) / 1000;
      if (s.state == IncomingSession.State.PROTECTED) {
        ctx.writeAndFlush(ctx.alloc().buffer(17).writeByte(Frames.CHECKPOINT_ACK).writeLong(c.checkpoint())
            .writeLong(applyMicros));
        return;
      }
      blocking.execute(() -> {
        String notReady = null;
        try {
          vms.awaitIncomingReady(s.vm).get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
          notReady = "the VM's process on the secondary is not ready: " + e;
        }
        String why = notReady;
        ctx.executor().execute(() -> {
          if (why != null) {
            reject(ctx, why);
          } else if (!rejected && ctx.channel().isActive()
              && s.transition(IncomingSession.State.CONNECTED, IncomingSession.State.PROTECTED)) {
            LOG.info("VM {}: hot secondary here is protecting it from checkpoint {} on", s.vm, c.checkpoint());
            ctx.writeAndFlush(ctx.alloc().buffer(17).writeByte(Frames.CHECKPOINT_ACK).writeLong(c.checkpoint())
                .writeLong(applyMicros));
          }
        });
      });
    }

    private void complete(ChannelHandlerContext ctx, IncomingFrame.Complete c) {
      IncomingSession s = session;
      long changed = changedInFlight;
      blocking.execute(() -> {
        try {
          long verifyAt = System.nanoTime();
          long mine = s.pageCrcs.digest(); // kept up to date page by page: O(1) inside the pause
          if (changed > 0) {
            LOG.info("incoming migration of VM {}: {} pages arrived changed since their checksum was taken (changed in flight: dirty again, so sent again)", s.vm,
                changed);
          }
          if (mine != c.tableDigest()) {
            throw new MigrationException("verify", "memory digest mismatch: source " + c.tableDigest() + ", destination "
                + mine);
          }
          vms.withIncomingMemory(s.vm, (GuestMemory m) -> {
            if (c.fullDigest() != -1 && m.digest() != c.fullDigest()) {
              throw new MigrationException("verify", "full memory digest mismatch");
            }
            m.header().setRuntimeState(c.runtimeState());
            return null;
          });
          // The VM's JVM was launched by the prepare and booted meanwhile: it must be waiting before
          // the source moves ownership here, or a JVM that cannot start would leave the VM nowhere.
          try {
            vms.awaitIncomingReady(s.vm).get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
          } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable why = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new MigrationException("verify", "the VM's process on the destination is not ready: " + why.getMessage());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MigrationException("verify", "interrupted while the VM's process got ready");
          }
          long verifyMicros = (System.nanoTime() - verifyAt) / 1000;
          // Back on the event loop, which settles a connection that ended meanwhile: a copy
          // discarded while it was being verified must not become VERIFIED and be announced so.
          ctx.executor().execute(() -> {
            if (rejected || !ctx.channel().isActive() || s.state != IncomingSession.State.CONNECTED) {
              return; // the connection ended meanwhile: its end settled the copy (discarded)
            }
            s.ownerVersion = c.ownerVersion();
            s.state = IncomingSession.State.VERIFIED;
            ctx.writeAndFlush(Frames.withLong(ctx.alloc(), Frames.VERIFIED, verifyMicros));
          });
        } catch (RuntimeException e) {
          LOG.warn("incoming migration of VM {}: {}", s.vm, e.getMessage());
          ctx.executor().execute(() -> reject(ctx, e.getMessage()));
        }
      });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (helloDeadline != null) {
        helloDeadline.cancel(false);
      }
      IncomingSession s = session;
      if (s == null || rejected) {
        if (stage != null) {
          stage.release();
          stage = null;
        }
        return; // a refused connection's session was settled by the refusal
      }
      connectionEnded(s, "the connection to the source was lost");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof SslHandshakeCompletionEvent e && !e.isSuccess()) {
        // No certificate, another CA's, a timeout: the peer never got as far as HELLO.
        LOG.warn("migration connection from {}: TLS handshake failed ({}); closed", ctx.channel().remoteAddress(),
            e.cause().getMessage());
        rejected = true;
        ctx.close();
        return;
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (rejected) {
        return;
      }
      // One line: a hostile or broken peer must not fill the log with stack traces.
      String why = cause instanceof MigrationException ? cause.getMessage()
          : cause instanceof DecoderException && cause.getCause() instanceof javax.net.ssl.SSLException ssl
              ? "TLS: " + ssl.getMessage() : cause instanceof java.io.IOException
              ? "connection lost: " + cause.getMessage() : "malformed frame: " + cause;
      LOG.warn("incoming migration{} from {}: {}; rejecting", session == null ? "" : " of VM " + session.vm,
          ctx.channel().remoteAddress(), why);
      reject(ctx, why);
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return; // closed already (a second close would meet terminated event loops)
    }
    server.close().syncUninterruptibly();
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    blocking.shutdownNow();
  }
}
