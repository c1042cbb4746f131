package io.roam.agent.guest.programs;

import static io.roam.agent.guest.programs.KvHarness.diskArgs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, window 4: a step that began under its lease must not finish after it. Two copies of
 * one kv VM on one disk: the old owner stalls inside a step (a frozen host, a stalled datastore)
 * while a new owner takes over.
 */
class KvFencingTest {
  @TempDir Path dir;

  @Test
  void aCopyWhoseLeaseRanOutWhileItStalledAppliesNothingAnswersNothingAndItsLateRecordIsNotReplayed() throws Exception {
    Path disk = dir.resolve("vms/shop");
    try (KvHarness old = KvHarness.boot(dir.resolve("old.mem"), disk, 1, diskArgs())) {
      assertThat(old.call("R 7 1 PUT a before")).isEqualTo("OK");

      KvHarness[] newer = new KvHarness[1];
      old.program.beforeLogWrite = () -> {
        // The old copy is frozen after it read the request; its lease runs out; HA boots the VM
        // elsewhere under epoch 2, and that copy acknowledges a write.
        old.program.beforeLogWrite = null;
        old.expireLease();
        try {
          newer[0] = KvHarness.boot(dir.resolve("new.mem"), disk, 2, diskArgs());
          assertThat(newer[0].call("R 8 1 PUT c after")).isEqualTo("OK");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      };
      // The old copy wakes up: it forces its record (after the new owner's fence), then must see
      // that its lease is gone: no reply (the connection is closed), nothing applied.
      assertThat(old.call("R 7 2 PUT b stale")).as("the stale copy's reply").isNull();
      assertThat(old.program.handle("GET b")).isEqualTo("NOTFOUND");

      try (KvHarness n = newer[0]) {
        assertThat(n.call("GET a")).isEqualTo("VALUE before");
        assertThat(n.call("GET b")).isEqualTo("NOTFOUND");
      }
    }
    // What any later boot rebuilds: every acknowledged write, and nothing of the stale step.
    assertThat(KvReplay.table(disk)).isEqualTo(Map.of("a", "before", "c", "after"));
    try (KvHarness third = KvHarness.boot(dir.resolve("third.mem"), disk, 3, diskArgs())) {
      assertThat(third.call("GET b")).isEqualTo("NOTFOUND");
      assertThat(third.call("GET c")).isEqualTo("VALUE after");
    }
  }

  @Test
  void afterAMigrationTheNewEpochFencesTheSegmentAndOlderRecordsAfterTheFenceAreIgnored() throws Exception {
    Path disk = dir.resolve("vms/shop");
    Path source = dir.resolve("source.mem");
    try (KvHarness src = KvHarness.boot(source, disk, 1, diskArgs())) {
      assertThat(src.call("R 7 1 PUT a 1")).isEqualTo("OK");
      assertThat(src.call("R 7 2 INCR n")).isEqualTo("VALUE 1");
      // The memory moves (a copy of the source's file stands for the pages that arrived).
      Files.copy(source, dir.resolve("dest.mem"), StandardCopyOption.REPLACE_EXISTING);
      try (KvHarness dest = KvHarness.resume(dir.resolve("dest.mem"), disk, 2, diskArgs())) {
        assertThat(dest.call("R 7 3 PUT b 2")).isEqualTo("OK");
        // A source that was not stopped (it should have been) writes after the fence.
        assertThat(src.call("R 9 1 PUT ghost 1")).isEqualTo("OK");
        assertThat(dest.call("R 7 4 INCR n")).isEqualTo("VALUE 2");
      }
    }
    // Records before the fence (epoch 1) all count; epoch-1 records after it do not.
    assertThat(KvReplay.table(disk)).isEqualTo(Map.of("a", "1", "b", "2", "n", "2"));
  }

  @Test
  void aCopyOlderThanTheDiskRefusesToBoot() throws Exception {
    Path disk = dir.resolve("vms/shop");
    try (KvHarness n = KvHarness.boot(dir.resolve("new.mem"), disk, 5, diskArgs())) {
      assertThat(n.call("PUT a 1")).isEqualTo("OK");
    }
    assertThatThrownBy(() -> KvHarness.boot(dir.resolve("old.mem"), disk, 4, diskArgs()))
        .hasMessageContaining("owner epoch 5, newer than this copy's 4");
  }
}
