package io.roam.agent.migration;

import java.util.Optional;

/**
 * What an agent may do with a VM, decided only from an owner record it has just read (DESIGN.md
 * invariant 1: "after a failed or ambiguous compare-and-set, everyone acts on the record read
 * back, never on a message"). Pure functions: no I/O, so each rule has a unit test.
 */
public final class OwnershipDecisions {
  private OwnershipDecisions() {}

  /** The source's view of a switchover whose compare-and-set failed or had no clear answer. */
  public enum Switchover { MOVED, NOT_MOVED }

  /** The destination's view of an incoming VM whose source went away after verification. */
  public enum Incoming {
    /** The record names this host at the session's epoch: the VM is ours, resume it. */
    COMMIT,
    /** The record changed to something else (or is gone): the VM is not ours, throw the copy away. */
    DISCARD,
    /**
     * The record is still the one the source would compare-and-set: rewrite it unchanged, so that
     * its version moves on and the source's compare-and-set can no longer apply; then read again.
     */
    FENCE_SOURCE
  }

  /**
   * Reads back a switchover: moved exactly when the record names the destination at the new epoch
   * with this migration's tag. (host, epoch) alone is not enough: HA failing the VM over to the same
   * host writes the same pair, and that is not this migration's write.
   */
  public static Switchover afterCompareAndSet(Optional<Ownership.Owner> readBack, String destination, long newEpoch,
      String migrationTag) {
    return readBack.isPresent() && isOurs(readBack.get(), destination, newEpoch, migrationTag)
        ? Switchover.MOVED
        : Switchover.NOT_MOVED;
  }

  private static boolean isOurs(Ownership.Owner o, String host, long epoch, String migrationTag) {
    return o.host().equals(host) && o.epoch() == epoch && o.migration().equals(migrationTag);
  }

  /**
   * Resolves an incoming VM after its source was lost or aborted once the memory was verified.
   *
   * @param sourceVersion the record version the source said it would compare-and-set
   * @param migrationTag the tag the source writes with its compare-and-set: a record naming this host
   *     at the session's epoch without it was written by someone else (HA), and the memory here is
   *     an older copy than what ran since: discard it
   */
  public static Incoming resolveIncoming(Optional<Ownership.Owner> record, String me, long sessionEpoch, int sourceVersion,
      String migrationTag) {
    if (record.isEmpty()) {
      return Incoming.DISCARD;
    }
    Ownership.Owner o = record.get();
    if (isOurs(o, me, sessionEpoch, migrationTag)) {
      return Incoming.COMMIT;
    }
    return o.version() == sourceVersion ? Incoming.FENCE_SOURCE : Incoming.DISCARD;
  }

  /**
   * Why {@code host} may not {@code action} (start, resume) {@code vm} at {@code epoch}, as one
   * line; empty when the record names exactly that host at exactly that epoch.
   */
  public static Optional<String> refusalToRun(String action, String vm, Optional<Ownership.Owner> record, String host,
      long epoch) {
    String refused = "host " + host + " will not " + action + " VM " + vm;
    if (epoch <= 0) {
      return Optional.of(refused + ": the request carries no owner epoch");
    }
    if (record.isEmpty()) {
      return Optional.of(refused + ": it has no owner record");
    }
    Ownership.Owner o = record.get();
    if (!o.host().equals(host) || o.epoch() != epoch) {
      return Optional.of(refused + " at owner epoch " + epoch + ": its owner record names host " + o.host()
          + " at epoch " + o.epoch());
    }
    return Optional.empty();
  }
}
