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
}
