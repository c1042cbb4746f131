package io.roam.master.inventory;

/**
 * A write of a leader's term was refused because a newer master has taken an epoch since: this
 * master is no longer the leader, and nothing was written. Never swallowed: the pass, or the
 * request, that made the write ends here.
 */
public final class NotLeaderException extends IllegalStateException {
  private final long epoch;

  public NotLeaderException(long epoch, String detail) {
    super("no longer the leader: epoch " + epoch + " is over (" + detail + "); nothing was written");
    this.epoch = epoch;
  }

  /** The epoch of the term that ended. */
  public long epoch() {
    return epoch;
  }
}
