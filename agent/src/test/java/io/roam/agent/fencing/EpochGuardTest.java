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
}
