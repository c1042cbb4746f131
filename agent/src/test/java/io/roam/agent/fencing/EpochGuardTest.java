package io.roam.agent.fencing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.roam.agent.vm.VmOperationException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EpochGuardTest {
  /** ZooKeeper as if every epoch these tests use had been taken by a master. */
  private static final EpochGuard.TakenEpochs ALL_TAKEN = () -> 100;
  @TempDir Path dir;

  @Test
  void anEpochNoMasterHasTakenIsRefusedAndChangesNothing() throws Exception {
    Path file = dir.resolve("master-epoch");
    java.util.concurrent.atomic.AtomicLong zk = new java.util.concurrent.atomic.AtomicLong(3);
    java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
    EpochGuard g = new EpochGuard(file, () -> {
      reads.incrementAndGet();
      return zk.get();
    });
    g.admit(3);
    assertThatThrownBy(() -> g.admit(Long.MAX_VALUE)).isInstanceOf(VmOperationException.class)
        .hasMessageContaining("no master has taken that epoch").hasMessageContaining("ZooKeeper's epoch is 3");
    assertThat(g.newest()).isEqualTo(3);
    assertThat(java.nio.file.Files.readString(file)).isEqualTo("3");
    g.admit(3); // the real master still gets through
    int before = reads.get();
    g.admit(3);
    assertThat(reads.get()).as("an epoch already confirmed needs no ZooKeeper read").isEqualTo(before);

    zk.set(4); // a new master took epoch 4
    g.admit(4);
    assertThat(g.newest()).isEqualTo(4);
    assertThatThrownBy(() -> g.admit(3)).hasMessageContaining("seen epoch 4");

    EpochGuard unreachable = new EpochGuard(dir.resolve("other"), () -> {
      throw new IllegalStateException("connection loss");
    });
    assertThatThrownBy(() -> unreachable.admit(1)).hasMessageContaining("cannot confirm it with ZooKeeper");
    assertThat(unreachable.newest()).isZero();
  }

  @Test
  void olderEpochsAreRefusedAlsoAfterARestart() {
    Path file = dir.resolve("master-epoch");
    EpochGuard g = new EpochGuard(file, ALL_TAKEN);
    g.admit(3);
    g.admit(3);
    g.admit(5);
    assertThatThrownBy(() -> g.admit(4)).isInstanceOf(VmOperationException.class)
        .hasMessageContaining("epoch 4 refused").hasMessageContaining("seen epoch 5");
    EpochGuard restarted = new EpochGuard(file, ALL_TAKEN);
    assertThat(restarted.newest()).isEqualTo(5);
    assertThatThrownBy(() -> restarted.admit(2)).isInstanceOf(VmOperationException.class);
  }

  @Test
  void aNewEpochIsForcedToDiskFileThenDirectoryBeforeItIsAdmitted() throws Exception {
    Path file = dir.resolve("master-epoch");
    java.util.List<String> forced = new java.util.ArrayList<>();
    EpochGuard g = new EpochGuard(file, ALL_TAKEN, p -> forced.add(dir.relativize(p) + "=" + (java.nio.file.Files.isDirectory(p)
        ? java.nio.file.Files.readString(file) : java.nio.file.Files.readString(p))));
    g.admit(7);
    // The temporary file with the new epoch, then the directory once the rename put it in place.
    assertThat(forced).containsExactly("master-epoch.tmp=7", "=7");
    forced.clear();
    g.admit(7);
    assertThat(forced).as("an epoch already on disk needs no write").isEmpty();
  }

  @Test
  void anEpochThatCannotBeForcedIsNotAdmitted() {
    Path file = dir.resolve("master-epoch");
    new EpochGuard(file, ALL_TAKEN).admit(3);
    EpochGuard g = new EpochGuard(file, ALL_TAKEN, p -> {
      throw new java.io.IOException("disk full");
    });
    assertThatThrownBy(() -> g.admit(4)).hasMessageContaining("cannot persist master epoch");
    assertThat(g.newest()).isEqualTo(3);
    assertThatThrownBy(() -> g.admit(2)).isInstanceOf(VmOperationException.class);
  }
}
