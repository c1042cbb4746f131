package io.roam.agent.migration;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * A migration's status, as QEMU's query-migrate names it.
 *
 * <pre>
 *   SETUP ──▶ ACTIVE ──▶ COMPLETED
 *     │          │
 *     └────┬─────┴──▶ FAILED | CANCELLED
 * </pre>
 */
public enum MigrationStatus {
  SETUP, ACTIVE, COMPLETED, FAILED, CANCELLED;

  private static final Map<MigrationStatus, Set<MigrationStatus>> ALLOWED = Map.of(
      SETUP, EnumSet.of(ACTIVE, FAILED, CANCELLED),
      ACTIVE, EnumSet.of(COMPLETED, FAILED, CANCELLED),
      COMPLETED, EnumSet.noneOf(MigrationStatus.class),
      FAILED, EnumSet.noneOf(MigrationStatus.class),
      CANCELLED, EnumSet.noneOf(MigrationStatus.class));

  public boolean canMoveTo(MigrationStatus next) {
    return ALLOWED.get(this).contains(next);
  }

  public boolean isFinal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }
}
