package io.roam.agent.migration;

/** One prepared incoming migration on the destination, found by its one-time token. */
final class IncomingSession {
  /**
   * RESOLVING: the source is gone (or aborted) after VERIFIED; the owner record decides.
   * PROTECTED (FT): a whole checkpoint was applied and the primary streams more. STANDBY (FT): the
   * primary's connection ended after that; the copy waits for the leader to promote or discard it.
   */
  enum State { PREPARED, CONNECTED, VERIFIED, RESOLVING, COMMITTING, COMMITTED, DISCARDED, PROTECTED, STANDBY }

  final String token;
  /** What the source's ownership compare-and-set writes as the record's migration tag. */
  final String migrationTag;
  final String vm;
  /** The host whose agent certificate the source must present (the peer's address proves nothing). */
  final String sourceHost;
  final long ownerEpoch;
  final long createdNanos = System.nanoTime();
  /**
   * CRC32C of each page as received (computed here from the bytes that arrived); fresh memory is
   * all zero pages. Written by the connection's event loop, read at COMPLETE after it.
   */
  final PageCrcTable pageCrcs;
  /**
   * Written by the connection's event loop, by the session expiry and by the owner-record
   * resolution on the blocking pool: the transitions that must happen once (taking a prepared
   * session, starting a resolution, expiring) go through {@link #transition}.
   */
  volatile State state = State.PREPARED;
  private static final java.util.concurrent.atomic.AtomicReferenceFieldUpdater<IncomingSession, State> STATE =
      java.util.concurrent.atomic.AtomicReferenceFieldUpdater.newUpdater(IncomingSession.class, State.class, "state");
  volatile int ownerVersion = -1;
  /** FT: this copy is a hot secondary, kept by checkpoints, never switched over to by its source. */
  final boolean ft;
  /** FT: the connection from the primary while it is open (promotion closes it first). */
  volatile io.netty.channel.Channel channel;
  /** FT: a reading of the owner record for this waiting secondary is under way. */
  final java.util.concurrent.atomic.AtomicBoolean settling = new java.util.concurrent.atomic.AtomicBoolean();
  /** FT: the last checkpoint applied whole. */
  volatile long checkpointsApplied;
  /** Resumes that failed other than by the owner record (an unreadable record, GO): retried a few times. */
  volatile int resumeFailures;

  /** Moves from {@code from} to {@code to} if the state is still {@code from}; true if it did. */
  boolean transition(State from, State to) {
    return STATE.compareAndSet(this, from, to);
  }

  IncomingSession(String token, String vm, String sourceHost, long ownerEpoch, long pageCount) {
    this(token, vm, sourceHost, ownerEpoch, pageCount, null);
  }

  /** @param secondaryHost for FT, this host (the hot secondary's), named in the tag; else null */
  IncomingSession(String token, String vm, String sourceHost, long ownerEpoch, long pageCount, String secondaryHost) {
    this.ft = secondaryHost != null;
    this.token = token;
    this.migrationTag = ft ? Ownership.ftTag(secondaryHost, token) : Ownership.migrationTag(token);
    this.vm = vm;
    this.sourceHost = sourceHost;
    this.ownerEpoch = ownerEpoch;
    this.pageCrcs = new PageCrcTable((int) pageCount);
  }
}
