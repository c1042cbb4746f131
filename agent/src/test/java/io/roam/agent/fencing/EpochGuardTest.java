package io.roam.agent.fencing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.roam.agent.vm.VmOperationException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EpochGuardTest {
  @TempDir Path dir;

  @Test
  void olderEpochsAreRefusedAlsoAfterARestart() {
    Path file = dir.resolve("master-epoch");
    EpochGuard g = new EpochGuard(file);
    g.admit(3);
    g.admit(3);
    g.admit(5);
    assertThatThrownBy(() -> g.admit(4)).isInstanceOf(VmOperationException.class)
        .hasMessageContaining("epoch 4 refused").hasMessageContaining("seen epoch 5");
    EpochGuard restarted = new EpochGuard(file);
    assertThat(restarted.newest()).isEqualTo(5);
    assertThatThrownBy(() -> restarted.admit(2)).isInstanceOf(VmOperationException.class);
  }

  @Test
  void aNewEpochIsForcedToDiskFileThenDirectoryBeforeItIsAdmitted() throws Exception {
    Path file = dir.resolve("master-epoch");
    java.util.List<String> forced = new java.util.ArrayList<>();
    EpochGuard g = new EpochGuard(file, p -> forced.add(dir.relativize(p) + "=" + (java.nio.file.Files.isDirectory(p)
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
    new EpochGuard(file).admit(3);
    EpochGuard g = new EpochGuard(file, p -> {
      throw new java.io.IOException("disk full");
    });
    assertThatThrownBy(() -> g.admit(4)).hasMessageContaining("cannot persist master epoch");
    assertThat(g.newest()).isEqualTo(3);
    assertThatThrownBy(() -> g.admit(2)).isInstanceOf(VmOperationException.class);
  }
}
