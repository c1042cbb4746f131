package io.roam.master.scheduler;

/** How the scheduler carries out a move: the same path as `roamctl vm migrate`. */
public interface MigrationStarter {
  /** Starts a live migration and returns its id; throws with an operator-readable message. */
  String start(String vm, String toHost) throws Exception;

  /** Whether the migration has ended (either way), asked of its source host. */
  boolean finished(String migrationId, String sourceHost);
}
