package io.roam.agent.migration;

import io.roam.agent.vm.VmManager;
import java.util.concurrent.TimeUnit;

/** Runs a prepared migration out of {@code src} to its end, as the migration service does. */
final class MigrationRun {
  private MigrationRun() {}

  /** True when the VM moved; the migrator is finished either way (its status says how it ended). */
  static boolean migrate(VmManager src, String vm, Migrator m) {
    try {
      boolean moved = src.migrateOut(vm, m.id(), m).get(120, TimeUnit.SECONDS);
      m.finish(moved, null);
      return moved;
    } catch (Exception e) {
      m.finish(false, e);
      return false;
    }
  }
}
