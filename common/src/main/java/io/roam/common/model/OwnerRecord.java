package io.roam.common.model;

/**
 * Where a VM may run, and at which ownership epoch (DESIGN.md invariant 1).
 *
 * @param migration the tag of the live migration whose compare-and-set wrote this record, or empty
 *     when HA, a create or anything else wrote it. (host, epoch) alone is not unique: a migration
 *     and an HA failover both move a record from epoch E to E + 1, and a migration's destination
 *     that resolves by ownership must know the record names it because of *its* migration, not
 *     because HA happened to pick the same host (its memory would be a paused, older copy).
 */
public record OwnerRecord(String host, long epoch, String migration) {
  public OwnerRecord {
    migration = migration == null ? "" : migration; // records written before the tag existed
  }

  public OwnerRecord(String host, long epoch) {
    this(host, epoch, "");
  }

  /** The prefix of a tag written by FT protection: {@code ft:SECONDARY-HOST:DIGEST}. */
  public static final String FT_PREFIX = "ft:";

  /**
   * The tag FT protection writes while the VM's hot secondary on {@code secondaryHost} may be
   * promoted (DESIGN.md "Fault tolerance"): it names that host, so the leader knows where to fail
   * over to from the record alone, and carries the protection's digest, which the secondary checks.
   */
  public static String ftTag(String secondaryHost, String digest) {
    return FT_PREFIX + secondaryHost + ":" + digest;
  }

  /**
   * The host of the promotable hot secondary this record names, or null if it names none. After a
   * failover the record names the promoted secondary as the owner with the tag it resumed under:
   * that VM is not protected (its secondary is itself) until a new protection tags the record.
   */
  public String ftSecondary() {
    if (!migration.startsWith(FT_PREFIX)) {
      return null;
    }
    int end = migration.lastIndexOf(':');
    String secondary = end <= FT_PREFIX.length() ? null : migration.substring(FT_PREFIX.length(), end);
    return secondary == null || secondary.equals(host) ? null : secondary;
  }
}
