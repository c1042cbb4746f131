package io.roam.agent.guest.programs;

import io.roam.agent.memory.GuestMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What a fresh boot of a kv VM would rebuild from its disk (snapshot and log, with the fence
 * rules of {@link KvRecovery}), without the VM's guest memory: for checkers (the chaos harness
 * compares it with the live table) and operators.
 *
 * <p>Thread-safe: each call works on its own scratch table.
 */
public final class KvReplay {
  private KvReplay() {}

  /**
   * The table a fresh boot would rebuild from {@code vmDiskDir} ({@code <datastore>/vms/<vm>});
   * empty when the directory holds nothing.
   *
   * @throws IOException when the disk cannot be read, or holds log segments but no readable snapshot
   */
  public static Map<String, String> table(Path vmDiskDir) throws IOException {
    Map<String, String> out = new HashMap<>();
    KvRecovery.Plan plan = KvRecovery.plan(vmDiskDir);
    if (plan.snapshot() == null) {
      return out;
    }
    KvSnapshot.Header h = KvSnapshot.check(plan.snapshot());
    if (h == null) {
      throw new IOException("snapshot " + plan.snapshot() + " changed while it was read");
    }
    // The same table code as the VM, on a scratch memory of the VM's slot count: a replay takes
    // exactly the decisions the VM took ("table full", session evictions).
    Path scratch = Files.createTempFile("kv-replay-", ".mem");
    try (GuestMemory memory = GuestMemory.create(scratch, KvTable.memoryBytesFor(h.slotCount()))) {
      KvTable t = KvTable.format(memory);
      KvRecovery.load(plan, t);
      t.forEach(out::put);
    } finally {
      Files.deleteIfExists(scratch);
    }
    return out;
  }
}
