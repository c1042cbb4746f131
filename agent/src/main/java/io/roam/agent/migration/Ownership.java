package io.roam.agent.migration;

import java.util.Optional;

/**
 * The VM ownership record ({host, epoch} at /roam/vms/&lt;vm&gt;/owner) as migration needs it. It
 * changes only by compare-and-set on its version (DESIGN.md invariant 1).
 */
public interface Ownership {
  /** @param migration the tag of the migration that wrote the record, or empty (see OwnerRecord) */
  record Owner(String host, long epoch, int version, String migration) {
    public Owner {
      migration = migration == null ? "" : migration;
    }

    public Owner(String host, long epoch, int version) {
      this(host, epoch, version, "");
    }
  }

  Optional<Owner> read(String vm) throws Exception;

  /**
   * As {@link #read}, after this client has caught up with every write the store has committed. In
   * a ZooKeeper ensemble a read is served by the server this agent is connected to, which may not
   * yet have applied a write that another client (a migration's source, a master) has just been
   * told succeeded; a refusal decided on such a read would refuse the rightful owner. Slower: one
   * more round trip to the ensemble's leader.
   */
  default Optional<Owner> readLatest(String vm) throws Exception {
    return read(vm);
  }

  /**
   * Writes {host, epoch, migration} if the record is still at {@code expectedVersion}; false
   * otherwise.
   */
  boolean compareAndSet(String vm, int expectedVersion, String host, long epoch, String migration) throws Exception;

  /**
   * Makes a compare-and-set from {@code version} that may still be in flight fail, without
   * changing what the record says: the record is rewritten unchanged if it is still at that version
   * (DESIGN.md "Ambiguous compare-and-set"). A migration's destination that lost its source after
   * the memory verified uses it. Here, for stores where any writer may write the record; in
   * ZooKeeper only the owner's agent may, so {@link io.roam.agent.cluster.ZkOwnership} asks a master.
   *
   * @return true if this call moved the version on; false if the record had already moved on
   */
  default boolean fence(String vm, int version) throws Exception {
    Optional<Owner> o = read(vm);
    return o.isPresent() && o.get().version() == version
        && compareAndSet(vm, version, o.get().host(), o.get().epoch(), o.get().migration());
  }

  /** As above, for a write that is not a migration's switchover. */
  default boolean compareAndSet(String vm, int expectedVersion, String host, long epoch) throws Exception {
    return compareAndSet(vm, expectedVersion, host, epoch, "");
  }

  /**
   * The tag a migration writes into the owner record: derived from its one-time token, which both
   * ends know and nobody else does, without publishing the token itself.
   */
  /** The tag FT protection writes while the secondary on {@code secondaryHost} is promotable. */
  static String ftTag(String secondaryHost, String token) {
    return io.roam.common.model.OwnerRecord.ftTag(secondaryHost, migrationTag(token));
  }

  static String migrationTag(String token) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-256")
          .digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
