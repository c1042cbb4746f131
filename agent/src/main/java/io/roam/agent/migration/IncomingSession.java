package io.roam.agent.migration;

/** One prepared incoming migration on the destination, found by its one-time token. */
final class IncomingSession {
  /** RESOLVING: the source is gone (or aborted) after VERIFIED; the owner record decides. */
  enum State { PREPARED, CONNECTED, VERIFIED, RESOLVING, COMMITTING, COMMITTED, DISCARDED }

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
  /** Resumes that failed other than by the owner record (an unreadable record, GO): retried a few times. */
  volatile int resumeFailures;

  /** Moves from {@code from} to {@code to} if the state is still {@code from}; true if it did. */
  boolean transition(State from, State to) {
    return STATE.compareAndSet(this, from, to);
  }

  IncomingSession(String token, String vm, String sourceHost, long ownerEpoch, long pageCount) {
    this.token = token;
    this.migrationTag = Ownership.migrationTag(token);
    this.vm = vm;
    this.sourceHost = sourceHost;
    this.ownerEpoch = ownerEpoch;
    this.pageCrcs = new PageCrcTable((int) pageCount);
  }
}
