package io.roam.agent.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.roam.agent.guest.programs.KvTable;
import io.roam.agent.memory.GuestMemory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvTableTest {
  @TempDir Path dir;

  @Test
  void behavesLikeAMapAndSurvivesReattachingFromMemoryAlone() {
    Path file = dir.resolve("kv.mem");
    Map<String, String> model = new HashMap<>();
    try (GuestMemory m = GuestMemory.create(file, 16 << 20)) {
      KvTable t = KvTable.format(m);
      SplittableRandom rnd = new SplittableRandom(3);
      for (int i = 0; i < 20_000; i++) {
        String k = "k" + rnd.nextInt(3000);
        switch (rnd.nextInt(3)) {
          case 0, 1 -> {
            String v = "v" + i;
            assertThat(t.put(k, v)).isTrue();
            model.put(k, v);
          }
          default -> assertThat(t.delete(k)).isEqualTo(model.remove(k) != null);
        }
      }
      assertThat(t.size()).isEqualTo(model.size());
    }
    try (GuestMemory again = GuestMemory.open(file)) {
      KvTable t = KvTable.attach(again);
      model.forEach((k, v) -> assertThat(t.get(k)).isEqualTo(v));
      assertThat(t.get("never")).isNull();
      assertThatThrownBy(() -> t.put("x".repeat(200), "v")).hasMessageContaining("key must be");
      assertThatThrownBy(() -> t.put("k", "v".repeat(500))).hasMessageContaining("exceeds");
    }
  }
}
