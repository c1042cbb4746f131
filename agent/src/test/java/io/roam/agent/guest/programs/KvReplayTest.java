package io.roam.agent.guest.programs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The table a replay of a kv log rebuilds: numbered requests once, a torn tail skipped. */
class KvReplayTest {
  @TempDir Path dir;

  @Test
  void appliesNumberedRequestsOnceAndSkipsATornTail() throws Exception {
    Files.writeString(dir.resolve("kv.wal"), String.join("\n",
        "R 7 1 PUT a 1", "R 7 2 INCR n", "R 7 2 INCR n", "R 7 3 PUT b x y", "PUT c 3", "DEL c", "R 9 1 GET a",
        "R 7 1 PUT a old", "INCR n") + "\nR 9 3 PUT z half");
    assertThat(KvReplay.table(dir)).isEqualTo(Map.of("a", "1", "n", "2", "b", "x y"));
  }

  @Test
  void noLogIsAnEmptyTable() throws Exception {
    assertThat(KvReplay.table(dir)).isEmpty();
  }
}
