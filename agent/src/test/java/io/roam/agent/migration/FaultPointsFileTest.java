package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run-time arming through a faults file (-Droam.faults.file): a chaos harness arms a point for one
 * round by writing the file, the point fires once per content of the file, and emptying the file
 * withdraws a point that never fired.
 */
class FaultPointsFileTest {
  @TempDir Path dir;

  @AfterEach
  void reset() {
    FaultPoints.watchFile(null);
    FaultPoints.disarmAll();
  }

  /** True if the point is armed with fail now (fires it). */
  private static boolean fails(String point) {
    try {
      FaultPoints.hit(point);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }

  @Test
  void aPointWrittenToTheFileFiresOnceAndAgainOnlyWhenTheFileChanges() throws Exception {
    Path f = dir.resolve("faults");
    FaultPoints.watchFile(f);
    assertThat(fails(FaultPoints.SOURCE_BEFORE_CAS)).isFalse(); // no file: nothing armed

    Files.writeString(f, "# round 1\n" + FaultPoints.SOURCE_BEFORE_CAS + "=fail\n");
    // The file is read at most every 100 ms: wait for it to be seen, without assuming how soon.
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
        .until(() -> fails(FaultPoints.SOURCE_BEFORE_CAS));
    Thread.sleep(300); // the same content, read again, does not re-arm the point that fired
    assertThat(fails(FaultPoints.SOURCE_BEFORE_CAS)).isFalse();

    Files.writeString(f, "# round 2\n" + FaultPoints.SOURCE_BEFORE_CAS + "=fail\n");
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
        .until(() -> fails(FaultPoints.SOURCE_BEFORE_CAS));
  }

  @Test
  void emptyingTheFileWithdrawsAPointThatNeverFiredButKeepsPointsArmedOtherwise() throws Exception {
    Path f = dir.resolve("faults");
    FaultPoints.arm(FaultPoints.SOURCE_CORRUPT_BATCH, "corrupt"); // as -Droam.faults or a test would
    Files.writeString(f, FaultPoints.SOURCE_AFTER_CAS + "=fail\n");
    FaultPoints.watchFile(f);
    FaultPoints.hit(FaultPoints.DEST_ON_PAGES); // reads the file
    Files.writeString(f, "");
    Thread.sleep(300);
    FaultPoints.hit(FaultPoints.DEST_ON_PAGES); // reads the emptied file
    assertThat(fails(FaultPoints.SOURCE_AFTER_CAS)).isFalse();
    assertThat(FaultPoints.take(FaultPoints.SOURCE_CORRUPT_BATCH, "corrupt")).isTrue();
  }

  @Test
  void linesAreParsedWithCommentsAndBlanks() {
    assertThat(FaultPoints.parseLines("# c\n\n a=crash \nb=fail\n")).containsOnly(
        java.util.Map.entry("a", "crash"), java.util.Map.entry("b", "fail"));
    assertThatThrownBy(() -> {
      FaultPoints.arm("x", "fail");
      FaultPoints.hit("x");
    }).isInstanceOf(IllegalStateException.class);
  }
}
