package io.roam.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's part of the cluster check's datastore test, on real directories. */
class DatastoreProbeTest {
  private static final String TOKEN = "0123456789abcdef0123456789abcdef";

  @TempDir Path dir;

  @Test
  void hostsOnOneDatastoreSeeEachOthersFilesAndRemovingLeavesNothing() {
    DatastoreProbe h1 = new DatastoreProbe(dir.resolve("shared"), "h1");
    DatastoreProbe h2 = new DatastoreProbe(dir.resolve("shared"), "h2");

    assertThat(h1.probe(TOKEN, true, List.of(), false).writeError()).isEmpty();
    assertThat(h2.probe(TOKEN, true, List.of(), false).writeError()).isEmpty();
    DatastoreProbe.Result r1 = h1.probe(TOKEN, false, List.of("h2"), false);
    DatastoreProbe.Result r2 = h2.probe(TOKEN, false, List.of("h1"), false);
    h1.probe(TOKEN, false, List.of(), true);
    h2.probe(TOKEN, false, List.of(), true);

    assertThat(r1.seen()).containsExactly("h2");
    assertThat(r2.seen()).containsExactly("h1");
    assertThat(dir.resolve("shared/.roam/check/" + TOKEN)).doesNotExist();
  }

  @Test
  void aHostOnAnotherDirectoryDoesNotSeeTheFileAndSaysWhere() {
    new DatastoreProbe(dir.resolve("shared"), "h1").probe(TOKEN, true, List.of(), false);
    DatastoreProbe elsewhere = new DatastoreProbe(dir.resolve("local"), "h3");

    DatastoreProbe.Result r = elsewhere.probe(TOKEN, true, List.of("h1"), false);

    assertThat(r.seen()).isEmpty();
    assertThat(r.unseen()).containsExactly("h1: no " + dir.resolve("local/.roam/check/" + TOKEN + "/h1") + " here");
  }

  @Test
  void aFileWithOtherContentIsNotSeen() throws Exception {
    DatastoreProbe h1 = new DatastoreProbe(dir, "h1");
    Files.createDirectories(dir.resolve(".roam/check/" + TOKEN));
    Files.writeString(dir.resolve(".roam/check/" + TOKEN + "/h2"), "h2 another-token\n");

    assertThat(h1.probe(TOKEN, false, List.of("h2"), false).unseen()).singleElement().asString()
        .contains("holds something else");
  }

  @Test
  void anUnwritableDatastoreIsAWriteErrorNotAnException() throws Exception {
    Path file = dir.resolve("not-a-directory");
    Files.writeString(file, "x");

    DatastoreProbe.Result r = new DatastoreProbe(file, "h1").probe(TOKEN, true, List.of(), false);

    assertThat(r.writeError()).startsWith("cannot write " + file.resolve(".roam/check/" + TOKEN + "/h1"));
  }

  @Test
  void aTokenOrHostThatCouldNameAnotherPathIsRefusedAndNothingIsWritten() {
    DatastoreProbe h1 = new DatastoreProbe(dir, "h1");
    assertThatThrownBy(() -> h1.probe("../../etc", true, List.of(), false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> h1.probe(TOKEN, true, List.of("../h2"), false)).isInstanceOf(IllegalArgumentException.class);
    assertThat(dir.resolve(".roam")).doesNotExist();
  }
}
