package io.roam.agent.migration;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.roam.agent.memory.DirtyPages;
import io.roam.agent.memory.GuestMemory;
import io.roam.agent.vm.VmManager;
import io.roam.common.model.VmSpec;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves one running VM to another host by pre-copy (DESIGN.md "Live migration"): round 0 sends
 * every non-zero page the VM ever wrote, each later round sends what the dirty log says changed, until the rest fits
 * the downtime limit; then the VM pauses at a safe point, the last pages and the runtime state go
 * over, the destination verifies, ownership moves by compare-and-set, and the destination resumes.
 *
 * <p>Before the compare-and-set any failure leaves the VM running on the source, unchanged; after
 * it, only the destination may run the VM (DESIGN.md invariants 1 and 3). Whether the
 * compare-and-set happened is decided by reading the record back whenever its answer is not a
 * plain yes (DESIGN.md "Ambiguous compare-and-set").
 */
public final class Migrator implements VmManager.Migration {
  private static final Logger LOG = LoggerFactory.getLogger(Migrator.class);
  private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(60);

  /**
   * What the destination said when asked to prepare, with how long its parts took there
   * (microseconds, 0 when not reported; for {@link MigrationPhases}).
   */
  public record Prepared(String token, String dataHost, int dataPort, long memoryFileMicros, long jvmMicros) {
    public Prepared(String token, String dataHost, int dataPort) {
      this(token, dataHost, dataPort, 0, 0);
    }
  }

  /** Asks the destination agent to prepare (gRPC in production). */
  public interface Preparer {
    Prepared prepare(VmSpec spec, long ownerEpoch) throws Exception;
  }

  private final String id;
  private final String sourceHost;
  private final String sourceAddress;
  private final String destinationHost;
  private final MigrationParams params;
  private final Preparer preparer;
  private final Ownership ownership;
  private final EventLoopGroup group;
  private final DataPlaneSecurity security;
  private final MigrationStats stats;
  private volatile boolean cancelled;
  /** Why fencing aborted this migration, or null (then a cancellation came from the operator). */
  private volatile String abortedBecause;
  private volatile MigrationConnection connection;
  /** Paces the copy; a cancel or an abort ends its wait at once. */
  private final Pacer pacer;
  /** FT: the checkpoint interval when this protects the VM with a hot secondary; null for a migration. */
  private volatile Duration checkpointInterval;
  private volatile io.roam.agent.cluster.EventSink ftEvents = io.roam.agent.cluster.EventSink.NONE;
  static final long PACING_EVENT_EVERY_NANOS = 60_000_000_000L;
  private final CheckpointStats checkpointStats = new CheckpointStats();
  /** FT: how long the primary waits for a checkpoint's acknowledgement before it drops the secondary. */
  static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);

  public Migrator(String id, String vm, long memoryBytes, String sourceHost, String sourceAddress, String destinationHost,
      MigrationParams params, Preparer preparer, Ownership ownership, EventLoopGroup group, DataPlaneSecurity security) {
    this.security = security;
    this.id = id;
    this.sourceHost = sourceHost;
    this.sourceAddress = sourceAddress;
    this.destinationHost = destinationHost;
    this.params = params;
    this.preparer = preparer;
    this.ownership = ownership;
    this.group = group;
    this.stats = new MigrationStats(id, vm, sourceHost, destinationHost, memoryBytes);
    this.pacer = new Pacer(params.maxBandwidthBytesPerSecond());
  }

  public String id() {
    return id;
  }

  /**
   * Makes this a fault-tolerance protection instead of a migration (DESIGN.md "Fault
   * tolerance"): the same setup and pre-copy seed the destination, which then stays a hot
   * secondary fed a checkpoint every {@code interval}; ownership never moves by this side.
   * Protection runs until {@link #cancel} (turned off) or the secondary is lost. Changes of the
   * checkpoint pacing go to {@code events} (at most one a minute: pacing may go back and forth).
   */
  public Migrator protecting(Duration interval, io.roam.agent.cluster.EventSink events) {
    this.checkpointInterval = interval;
    this.ftEvents = events;
    return this;
  }

  public CheckpointStats.Snapshot checkpoints() {
    return checkpointStats.snapshot();
  }

  public MigrationInfo info() {
    return stats.snapshot();
  }

  /** Asks the migration to stop; honoured until the compare-and-set, after which it is too late. */
  public void cancel() {
    cancelled = true;
    pacer.cancel();
  }

  /** A protection ends as if FT were turned off; a migration is left to finish. */
  @Override
  public void yieldTo(String operation) {
    if (checkpointInterval != null && !cancelled) {
      LOG.info("FT {}: a {} of the VM waits behind its protection; ending the protection", id, operation);
      cancel();
    }
  }

  /**
   * Fencing: stops the migration at once by closing its connection, so that a thread blocked on
   * the network fails now. Whether ownership moved is still settled by the owner record.
   */
  @Override
  public void abort(String why) {
    abortedBecause = why;
    cancelled = true;
    pacer.cancel();
    MigrationConnection c = connection;
    if (c != null) {
      c.closeNow();
    }
  }

  /** Records how the migration ended (its status is final afterwards). */
  public void finish(boolean moved, Throwable error) {
    if (moved) {
      stats.moveTo(MigrationStatus.COMPLETED, null);
    } else if (cancelled && abortedBecause != null) {
      stats.moveTo(MigrationStatus.FAILED, "aborted: " + abortedBecause);
    } else if (cancelled) {
      stats.moveTo(MigrationStatus.CANCELLED, "cancelled by the operator; the VM kept running on " + sourceHost);
    } else {
      Throwable e = error;
      while (e != null && e.getCause() != null && !(e instanceof MigrationException)) {
        e = e.getCause();
      }
      stats.moveTo(MigrationStatus.FAILED, (e == null ? "unknown error" : e.getMessage())
          + "; the VM kept running on " + sourceHost);
    }
  }

  @Override
  public boolean run(VmManager.OutgoingVm vm) throws Exception {
    long start = System.nanoTime();
    GuestMemory memory = vm.memory();
    String name = vm.spec().name();
    Ownership.Owner owner = ownership.read(name)
        .orElseThrow(() -> new MigrationException("setup", "VM " + name + " has no ownership record"));
    if (!owner.host().equals(sourceHost)) {
      throw new MigrationException("setup", "ownership of VM " + name + " names host " + owner.host() + ", not " + sourceHost);
    }
    long newEpoch = owner.epoch() + 1;
    long prepareSentAt = System.nanoTime();
    Prepared prepared = preparer.prepare(vm.spec(), newEpoch);
    long preparedAt = System.nanoTime();
    MigrationPhases.DestinationTimes dest = MigrationPhases.DestinationTimes.NONE.withPrepare(prepared.memoryFileMicros(),
        prepared.jvmMicros());
    FaultPoints.hit(FaultPoints.SOURCE_AFTER_PREPARE);
    boolean ownershipMoved = false;
    try (MigrationConnection c = MigrationConnection.open(group, security, sourceAddress, prepared.dataHost(),
        prepared.dataPort(), destinationHost)) {
      connection = c;
      if (cancelled) {
        c.closeNow(); // aborted while the connection was being opened
      }
      try {
        // The encryption asked for; READY says what was agreed (plaintext only if both say off).
        c.send(Frames.text(c.alloc(), Frames.HELLO, prepared.token() + " " + security.encryption().label()));
        c.await(Frames.READY, REPLY_TIMEOUT, "setup");
        long readyAt = System.nanoTime();
        LOG.info("migration {} of VM {} to {}: page stream {}", id, name, destinationHost,
            c.plaintext() ? "in plaintext (encryption off on both agents)" : "encrypted (TLS)");
        stats.moveTo(MigrationStatus.ACTIVE, null);
        PageCrcTable sentCrcs = new PageCrcTable((int) memory.pageCount());
        Sender sender = new Sender(c, memory, sentCrcs);

        memory.dirtyLog().harvest(); // track from here: round 0 reads every page after this point
        // Round 0: every page ever written; the rest are holes, zeros on both sides, never read
        // (DESIGN.md "Memory never written"). Taken after the harvest, so it holds every page
        // written before it; a page written since is dirty and goes in a later round.
        sender.round(0, memory.dirtyLog().writtenPages()::forEach);
        FaultPoints.hit(FaultPoints.SOURCE_DURING_PRECOPY);
        ConvergencePolicy policy = new ConvergencePolicy(params);
        double bandwidth = policy.estimateBandwidth(ConvergencePolicy.NO_ESTIMATE, sender.lastRoundBytes,
            sender.lastRoundNanos);
        int round = 0;
        long previousDirtyBytes = ConvergencePolicy.Progress.NO_PREVIOUS_ROUND;
        int throttle = 0;
        while (true) {
          ConvergencePolicy.Progress progress = new ConvergencePolicy.Progress(round,
              memory.dirtyLog().countDirty() * Frames.PAGE, previousDirtyBytes, bandwidth, sender.lastRoundNanos,
              throttle, (System.nanoTime() - start) / 1_000_000);
          stats.round(round + 1, bandwidth, progress.dirtyPagesPerSecond(), progress.dirtyBytes(),
              progress.expectedDowntimeMillis());
          throwIfCancelled();
          ConvergencePolicy.Decision next = policy.decide(progress);
          if (next instanceof ConvergencePolicy.SwitchOver) {
            break;
          }
          if (next instanceof ConvergencePolicy.GiveUp giveUp) {
            throw new MigrationException("precopy", giveUp.reason());
          }
          if (next instanceof ConvergencePolicy.RaiseThrottle raise) {
            throttle = raise.percent();
            vm.throttle(throttle);
            stats.throttle(throttle);
            LOG.info("migration {}: rounds stopped shrinking; throttling VM {} to {} %", id, name, throttle);
          }
          previousDirtyBytes = progress.dirtyBytes();
          round++;
          DirtyPages dirty = memory.dirtyLog().harvest();
          sender.round(round, dirty::forEach);
          bandwidth = policy.estimateBandwidth(bandwidth, sender.lastRoundBytes, sender.lastRoundNanos);
        }

        if (checkpointInterval != null) {
          return protect(c, vm, owner, Ownership.ftTag(destinationHost, prepared.token()), sentCrcs, throttle);
        }
        // Stop and copy.
        throwIfCancelled();
        vm.pause();
        long pausedAt = System.nanoTime();
        DirtyPages last = memory.dirtyLog().harvest();
        sender.pages(round + 1, last::forEach);
        long fullDigest = params.verifyFullDigest() ? memory.digest() : -1;
        byte[] state = memory.header().runtimeState();
        ByteBuf complete = c.alloc().buffer(32 + state.length).writeByte(Frames.COMPLETE).writeLong(sentCrcs.digest())
            .writeLong(fullDigest).writeInt(owner.version()).writeInt(state.length).writeBytes(state);
        c.send(complete);
        long sentAt = System.nanoTime();
        dest = dest.withVerify(c.await(Frames.VERIFIED, REPLY_TIMEOUT, "verify").longAt(0));
        long verifiedAt = System.nanoTime();
        FaultPoints.hit(FaultPoints.SOURCE_BEFORE_CAS);
        if (cancelled) {
          throw new MigrationException("switchover", "cancelled");
        }
        ownershipMoved = switchOwnership(name, owner.version(), newEpoch, Ownership.migrationTag(prepared.token()));
        if (!ownershipMoved) {
          throw new MigrationException("switchover", "the ownership record of VM " + name + " changed during the migration");
        }
        long casAt = System.nanoTime();
        // The VM is the destination's now: this host stops holding its address before the
        // destination adds and announces it (at COMMIT), so the two never hold it together.
        vm.releaseAddress();
        FaultPoints.hit(FaultPoints.SOURCE_AFTER_CAS);
        c.send(Frames.withLong(c.alloc(), Frames.COMMIT, newEpoch));
        try {
          MigrationConnection.Reply committed = c.await(Frames.COMMITTED, REPLY_TIMEOUT, "resume");
          dest = dest.withResume(committed.longAt(0), committed.longAt(1));
        } catch (MigrationException e) {
          // Ownership has moved: the destination resumes the VM on its own when it sees us go.
          LOG.warn("migration {}: no COMMITTED from {} ({}); it resumes the VM by ownership", id, destinationHost, e.getMessage());
        }
        long resumedAt = System.nanoTime();
        stats.resumed((resumedAt - pausedAt) / 1_000_000, MigrationPhases.of(new MigrationPhases.SourceMarks(start,
            prepareSentAt, preparedAt, readyAt, pausedAt, sentAt, verifiedAt, casAt, resumedAt), dest));
        LOG.info("migration {} switchover: last pages {} us, verify {} us, ownership CAS {} us, resume {} us", id,
            (sentAt - pausedAt) / 1000, (verifiedAt - sentAt) / 1000, (casAt - verifiedAt) / 1000, (resumedAt - casAt) / 1000);
        stats.stopAndCopyRound(round + 1);
        LOG.info("migration {} of VM {} to {}: the VM runs on the destination: {}", id, name, destinationHost, stats.snapshot());
        return true;
      } catch (Exception | Error e) {
        if (!ownershipMoved) {
          try {
            c.send(Frames.text(c.alloc(), Frames.ABORT, String.valueOf(e.getMessage())));
          } catch (RuntimeException ignored) {
            // the destination discards on its own when the connection drops
          }
          if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
          }
          throw e;
        }
        LOG.error("migration {}: error after ownership moved to {}: {}", id, destinationHost, e.toString());
        return true;
      }
    }
  }

  /**
   * FT after the seed: a checkpoint every interval until turned off or the secondary is lost. Each
   * pauses the VM at a safe point only to copy its dirty pages out and bump the checkpoint count
   * (output made from then on is held for the next checkpoint), sends the copy while the VM runs,
   * and on the secondary's acknowledgement releases the output it held. After the first
   * acknowledgement the owner record gets this session's tag: from then on the leader may promote
   * the secondary (by compare-and-set from that record) when this host fails. The interval and
   * the VM's throttle follow {@link CheckpointPacing} when the secondary cannot keep up (the
   * seed's throttle, if it left one, is where pacing starts). Returns false: ownership never moves
   * from here.
   */
  private boolean protect(MigrationConnection c, VmManager.OutgoingVm vm, Ownership.Owner owner, String tag,
      PageCrcTable sentCrcs, int seedThrottle) throws Exception {
    GuestMemory memory = vm.memory();
    io.roam.agent.memory.GuestMemoryHeader header = memory.header();
    String name = vm.spec().name();
    CheckpointCapture capture = new CheckpointCapture();
    Ownership.Owner tagged = null;
    long configuredMs = checkpointInterval.toMillis();
    CheckpointPacing.State pacing = new CheckpointPacing.State(configuredMs, seedThrottle, 0);
    long lastPacingEvent = 0;
    boolean controlFailed = false;
    checkpointStats.paced(pacing.intervalMs(), pacing.throttlePercent());
    try {
      for (long seq = 1; ; seq++) {
        if (cancelled) {
          // No ABORT: the secondary must not go before the tag is off the record (endProtection);
          // it sees the stream end, waits, and goes once the record no longer carries its tag.
          return false;
        }
        long begin = System.nanoTime();
        vm.pause();
        long pausedAt = System.nanoTime();
        byte[] state;
        try {
          capture.take(memory, memory.dirtyLog().harvest());
          state = header.runtimeState();
          if (seq == 1) {
            // A new protection counts from 1: an acknowledgement count left by an earlier one
            // would release this one's output at once.
            header.setFtAcked(0);
            header.setFtHolding(true); // output from here on waits for its checkpoint
          }
          header.setFtTaken(seq);
        } finally {
          vm.resume();
        }
        long resumedAt = System.nanoTime();
        capture.checksum(sentCrcs);
        c.send(Frames.withLong(c.alloc(), Frames.CHECKPOINT_BEGIN, seq));
        capture.send(c, seq);
        if (FaultPoints.take(FaultPoints.SOURCE_TEAR_CHECKPOINT, "tear")) {
          c.closeNow();
          throw new MigrationException("checkpoint", "fault injected at " + FaultPoints.SOURCE_TEAR_CHECKPOINT);
        }
        c.send(c.alloc().buffer(1 + 20 + state.length).writeByte(Frames.CHECKPOINT).writeLong(seq)
            .writeLong(sentCrcs.digest()).writeInt(state.length).writeBytes(state));
        MigrationConnection.Reply ack = c.await(Frames.CHECKPOINT_ACK, ACK_TIMEOUT, "checkpoint");
        if (ack.longAt(0) != seq) {
          throw new MigrationException("checkpoint", "the secondary acknowledged checkpoint " + ack.longAt(0)
              + ", expected " + seq);
        }
        if (tagged == null) {
          tagged = tagOwner(name, owner, tag);
          stats.moveTo(MigrationStatus.ACTIVE, null);
          LOG.info("FT {}: VM {} is protected by a hot secondary on {} (checkpoint every {} ms)", id, name,
              destinationHost, checkpointInterval.toMillis());
        }
        header.setFtAcked(seq);
        long ackedAt = System.nanoTime();
        checkpointStats.checkpoint((resumedAt - pausedAt) / 1000, (long) capture.pageCount() * Frames.PAGE,
            (ackedAt - resumedAt) / 1000);
        CheckpointPacing.Step step = CheckpointPacing.after(configuredMs, pacing, (ackedAt - resumedAt) / 1000);
        if (step.next().throttlePercent() != pacing.throttlePercent()) {
          vm.throttle(step.next().throttlePercent());
          stats.throttle(step.next().throttlePercent());
        }
        pacing = step.next();
        if (step.change() != null) {
          checkpointStats.paced(pacing.intervalMs(), pacing.throttlePercent());
          LOG.warn("FT {}: VM {}: {}", id, name, step.change());
          if (lastPacingEvent == 0 || ackedAt - lastPacingEvent >= PACING_EVENT_EVERY_NANOS) {
            lastPacingEvent = ackedAt;
            ftEvents.event("ft.paced", name, step.change());
          }
        }
        long waitNanos = pacing.intervalMs() * 1_000_000 - (System.nanoTime() - begin);
        if (waitNanos > 0) {
          pacer.sleepNanos(waitNanos); // a cancel ends the wait at once
        }
      }
    } catch (java.io.IOException e) {
      // Only the VM's control channel (pause, resume, throttle) throws IOException in this loop:
      // the VM's process died or stopped answering. See the finally.
      controlFailed = true;
      throw e;
    } finally {
      // The VM's control channel failed under protection: it died, or stopped answering (hung).
      // Either way its secondary holds the last acknowledged checkpoint: the process is killed
      // (its held output goes with it) and the tag stays, so that the leader fails over to the
      // secondary (HaPlanner) instead of booting the VM afresh here. Telling a crash from a hang
      // by waiting would be a guess; a process that will not die is left to HA, untagged.
      if (tagged != null && controlFailed && vm.killAndAwaitExit(CRASH_GRACE)) {
        LOG.error("FT {}: VM {} died or stopped answering under protection; its process is gone and its tag stays on"
            + " the owner record for the leader to fail over to the secondary on {}", id, name, destinationHost);
      } else {
        endProtection(name, header, owner, tagged, tag);
        if (pacing.throttlePercent() > 0) {
          try {
            vm.throttle(0); // the VM runs on alone (or is stopped by the record): at full speed
          } catch (Exception e) {
            LOG.warn("FT {}: cannot lift the throttle of VM {}: {}", id, name, e.toString());
          }
        }
      }
    }
  }

  /**
   * Puts this session's FT tag on the owner record (same host, same epoch): the leader promotes a
   * secondary only from a record that carries its tag. Read back either way: the record decides.
   */
  private Ownership.Owner tagOwner(String name, Ownership.Owner owner, String tag) throws Exception {
    try {
      ownership.compareAndSet(name, owner.version(), sourceHost, owner.epoch(), tag);
    } catch (Exception e) {
      LOG.warn("FT {}: tagging the owner record of VM {} has no clear answer ({}); reading it back", id, name,
          e.toString());
    }
    Ownership.Owner now = ownership.read(name).orElse(null);
    if (now == null || !now.host().equals(sourceHost) || now.epoch() != owner.epoch() || !tag.equals(now.migration())) {
      throw new MigrationException("protect", "the owner record of VM " + name + " changed while protection began: "
          + (now == null ? "none" : now.host() + " at epoch " + now.epoch()));
    }
    return now;
  }

  /**
   * Protection ended (turned off, the secondary lost, this host fenced). Output held for
   * checkpoints the secondary never acknowledged may leave only if the secondary can no longer be
   * promoted: the FT tag comes off the owner record first, by compare-and-set from the version read
   * (the record decides, never what this side believes it wrote: a tag whose write answered
   * unclearly is found and taken off too). If the leader promoted the secondary first, the record
   * names another host: the held output is dropped and the VM manager destroys this copy by the
   * record. While ZooKeeper cannot be read the output stays held, and the attempts go on (with
   * backoff, up to a few minutes; a fenced host stops at once: its VMs are being stopped).
   */
  private void endProtection(String name, io.roam.agent.memory.GuestMemoryHeader header, Ownership.Owner owner,
      Ownership.Owner tagged, String tag) {
    long backoffMs = 100;
    for (int attempt = 0; attempt < END_ATTEMPTS && abortedBecause == null; attempt++) {
      try {
        Ownership.Owner now = ownership.read(name).orElse(null);
        boolean ours = now != null && now.host().equals(sourceHost) && now.epoch() == owner.epoch();
        if (ours && tag.equals(now.migration())) {
          boolean applied = false;
          try {
            applied = ownership.compareAndSet(name, now.version(), sourceHost, owner.epoch(), "");
          } catch (Exception e) {
            LOG.warn("FT {}: untagging the owner record of VM {} has no clear answer ({}); reading it back", id, name,
                e.toString());
          }
          if (applied) {
            continue; // read again: the record decides
          }
        } else if (ours) {
          header.setFtHolding(false);
          LOG.warn("FT {}: VM {} is no longer protected; it runs on here alone{}", id, name,
              tagged == null ? "" : ", its held output released");
          return;
        } else {
          LOG.error("FT {}: the owner record of VM {} names {}: the secondary was promoted; this copy's held output"
              + " is dropped", id, name, now == null ? "nobody" : now.host() + " at epoch " + now.epoch());
          return;
        }
      } catch (Exception e) {
        LOG.warn("FT {}: cannot read the owner record of VM {} ({}); output stays held", id, name, e.toString());
      }
      try {
        Thread.sleep(backoffMs);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return;
      }
      backoffMs = Math.min(2_000, backoffMs * 2);
    }
  }

  /** How long a VM killed because its control channel failed under protection may take to exit. */
  private static final Duration CRASH_GRACE = Duration.ofSeconds(2);

  /** About three minutes of attempts to settle the record when protection ends. */
  private static final int END_ATTEMPTS = 100;

  private static final int READ_BACK_ATTEMPTS = 10;

  /**
   * The compare-and-set that moves ownership, with its answer checked: a "no" or an exception
   * (ConnectionLoss while a ZooKeeper leader changes: the write may have applied and only its
   * reply been lost, and Curator's retry then sees a version mismatch) says nothing for sure, so
   * the record is read back and decides (DESIGN.md "Ambiguous compare-and-set").
   *
   * @throws MigrationException when the record cannot be read back: ownership is then unknown,
   *     and the VM manager, which reads the record again before any resume, keeps the VM stopped
   */
  private boolean switchOwnership(String vm, int version, long newEpoch, String tag) throws InterruptedException {
    try {
      if (ownership.compareAndSet(vm, version, destinationHost, newEpoch, tag)) {
        return true;
      }
      LOG.warn("migration {}: the ownership compare-and-set was refused; reading the record back", id);
    } catch (Exception e) {
      LOG.warn("migration {}: the ownership compare-and-set has no clear answer ({}); reading the record back", id,
          e.toString());
    }
    Exception last = null;
    for (int attempt = 0; attempt < READ_BACK_ATTEMPTS; attempt++) {
      try {
        Optional<Ownership.Owner> back = ownership.read(vm);
        boolean moved = OwnershipDecisions.afterCompareAndSet(back, destinationHost, newEpoch, tag)
            == OwnershipDecisions.Switchover.MOVED;
        LOG.info("migration {}: the owner record reads {}: ownership {}", id,
            back.map(o -> o.host() + " at epoch " + o.epoch()).orElse("nothing"), moved ? "moved" : "did not move");
        return moved;
      } catch (Exception e) {
        last = e;
        Thread.sleep(Math.min(2_000, 100L << attempt));
      }
    }
    throw new MigrationException("switchover", "cannot read the owner record of VM " + vm
        + " after an unclear compare-and-set: " + last);
  }

  private void throwIfCancelled() {
    if (cancelled) {
      throw new MigrationException("precopy", "cancelled");
    }
  }

  /**
   * Sends pages in batches, counting what it sent; one per migration, used by one thread. Pages
   * are sent straight from the guest's memory, never copied here: each run of consecutive pages is
   * read where it lies (checked for zeros and checksummed page by page), and the non-zero pages go
   * into the frame as buffers that wrap the mapping, which the kernel reads when it sends them (or
   * TLS when it encrypts them). Zero pages are squeezed out of the batch and only named.
   *
   * <p>A page the guest writes after its checksum was taken arrives with bytes that do not match
   * it; the dirty log sends it again (its dirty bit was cleared before it was read), and the
   * destination counts on that (DESIGN.md "Sending straight from guest memory"). The wrapped
   * buffers are read by the event loop after {@link MigrationConnection#send} returns; the mapping
   * outlives them: the VM's memory is unmapped only after the destination has verified every page
   * (so every byte was sent), or after a failed migration closed the connection, which drops what
   * was still queued.
   */
  private final class Sender {
    private static final ByteBuffer ZERO = ByteBuffer.allocateDirect(Frames.PAGE).asReadOnlyBuffer();

    private final MigrationConnection c;
    private final GuestMemory memory;
    private final PageCrcTable sentCrcs;
    private final long[] batchPages = new long[Frames.BATCH];
    private final int[] batchCrcs = new int[Frames.BATCH];
    private final long[] zeroPages = new long[4096];
    private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    /** The batch's page bytes: slices of the mapping, one per run of non-zero pages. */
    private final java.util.List<ByteBuf> data = new java.util.ArrayList<>();
    private int n;
    private int nz;
    private long runStart = -1;
    private int runLength;
    private long roundPages;
    long lastRoundNanos;
    long lastRoundBytes;

    Sender(MigrationConnection c, GuestMemory memory, PageCrcTable sentCrcs) {
      this.c = c;
      this.memory = memory;
      this.sentCrcs = sentCrcs;
    }

    /** The bytes of {@code run} from offset {@code from} to {@code to} as a part of the frame, not copied. */
    private void addStretch(ByteBuffer run, int from, int to) {
      data.add(Unpooled.wrappedBuffer(run.slice(from, to - from)));
    }

    /** Sends one pre-copy round and waits for its acknowledgement; records its bytes and time. */
    void round(int round, java.util.function.Consumer<LongConsumer> pages) throws InterruptedException {
      long t0 = System.nanoTime();
      pages(round, pages);
      c.send(Frames.withLong(c.alloc(), Frames.ROUND_END, round));
      c.await(Frames.ROUND_ACK, REPLY_TIMEOUT, "precopy");
      lastRoundNanos = System.nanoTime() - t0;
      lastRoundBytes = roundPages * Frames.PAGE;
      LOG.debug("migration {} round {}: {} pages in {} ms", id, round, roundPages, lastRoundNanos / 1_000_000);
    }

    /** Sends the given pages (ascending; zero pages only named) without waiting for an acknowledgement. */
    void pages(int round, java.util.function.Consumer<LongConsumer> pages) throws InterruptedException {
      roundPages = 0;
      InterruptedException[] interrupted = new InterruptedException[1];
      pages.accept(p -> {
        if (interrupted[0] != null) {
          return;
        }
        try {
          add(round, p);
        } catch (InterruptedException e) {
          interrupted[0] = e;
        }
      });
      if (interrupted[0] != null) {
        throw interrupted[0];
      }
      copyRun(round);
      flushPages(round);
      flushZeros();
    }

    /** Extends the pending run with {@code page}, or copies the run out and starts a new one. */
    private void add(int round, long page) throws InterruptedException {
      if (runLength > 0 && page == runStart + runLength && n + runLength < Frames.BATCH
          && runLength < memory.pagesInChunkFrom(runStart)) {
        runLength++;
        return;
      }
      copyRun(round);
      runStart = page;
      runLength = 1;
    }

    /** Checks the pending run page by page where it lies and adds its non-zero pages to the batch. */
    private void copyRun(int round) throws InterruptedException {
      if (runLength == 0) {
        return;
      }
      ByteBuffer run = memory.pagesView(runStart, runLength);
      int pending = -1; // offset in the run where the current stretch of non-zero pages starts
      for (int i = 0; i < runLength; i++) {
        long page = runStart + i;
        int off = i * Frames.PAGE;
        ByteBuffer p = run.slice(off, Frames.PAGE);
        if (p.mismatch(ZERO) == -1) {
          if (pending >= 0) {
            addStretch(run, pending, off);
            pending = -1;
          }
          sentCrcs.set(page, Frames.ZERO_PAGE_CRC);
          zeroPages[nz++] = page;
          if (nz == zeroPages.length) {
            flushZeros();
          }
          continue;
        }
        crc.reset();
        crc.update(p);
        int pageCrc = (int) crc.getValue();
        batchPages[n] = page;
        batchCrcs[n] = pageCrc;
        sentCrcs.set(page, pageCrc);
        n++;
        roundPages++;
        if (pending < 0) {
          pending = off;
        }
      }
      if (pending >= 0) {
        addStretch(run, pending, runLength * Frames.PAGE);
      }
      runLength = 0;
      if (n == Frames.BATCH) {
        flushPages(round);
      }
    }

    private void flushPages(int round) throws InterruptedException {
      if (n == 0) {
        return;
      }
      if (cancelled) {
        data.forEach(ByteBuf::release);
        data.clear();
        throw new MigrationException("precopy", "cancelled");
      }
      if (FaultPoints.take(FaultPoints.SOURCE_CORRUPT_PAGE, "corrupt")) {
        batchCrcs[0] ^= 1; // and the table entry: as if the page had changed after its checksum
        sentCrcs.set(batchPages[0], batchCrcs[0]);
      }
      int batchCrc = Frames.batchCrc(batchPages, batchCrcs, n);
      if (FaultPoints.take(FaultPoints.SOURCE_CORRUPT_BATCH, "corrupt")) {
        batchCrc ^= 1;
      }
      ByteBuf header = c.alloc().buffer(1 + 8 + 4 + n * 12 + 4).writeByte(Frames.PAGES).writeLong(round).writeInt(n);
      for (int i = 0; i < n; i++) {
        header.writeLong(batchPages[i]);
      }
      for (int i = 0; i < n; i++) {
        header.writeInt(batchCrcs[i]);
      }
      header.writeInt(batchCrc);
      ByteBuf[] parts = new ByteBuf[1 + data.size()];
      parts[0] = header;
      for (int i = 0; i < data.size(); i++) {
        parts[i + 1] = data.get(i);
      }
      data.clear();
      c.send(Unpooled.wrappedBuffer(parts));
      stats.sent(n, 0);
      pacer.pace((long) n * Frames.PAGE);
      n = 0;
    }

    private void flushZeros() throws InterruptedException {
      if (nz == 0) {
        return;
      }
      ByteBuf f = c.alloc().buffer(1 + 4 + nz * 8 + 4).writeByte(Frames.ZEROS).writeInt(nz);
      for (int i = 0; i < nz; i++) {
        f.writeLong(zeroPages[i]);
      }
      f.writeInt(Frames.pagesCrc(zeroPages, nz));
      c.send(f);
      stats.sent(0, nz);
      nz = 0;
    }
  }
}
