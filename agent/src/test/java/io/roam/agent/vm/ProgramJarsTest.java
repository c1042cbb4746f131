package io.roam.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10: a --jar runs only from the directories agent.jar-dirs lists. */
class ProgramJarsTest {
  @TempDir Path dir;

  @Test
  void onlyJarsInsideTheListedDirectoriesMayRun() throws Exception {
    Path programs = Files.createDirectories(dir.resolve("lib/programs"));
    Path inside = Files.writeString(programs.resolve("counter.jar"), "jar");
    Path outside = Files.writeString(dir.resolve("evil.jar"), "jar");
    ProgramJars jars = ProgramJars.parse(" " + dir.resolve("nowhere") + " , " + programs + ",");

    assertThat(jars.problem(inside.toString(), "h1")).isNull();
    assertThat(jars.problem(outside.toString(), "h1")).contains("is not in a directory host h1 allows jars from")
        .contains("agent.jar-dirs");
    // Escapes: "..", and a link inside the directory that points out of it.
    assertThat(jars.problem(programs.resolve("../../evil.jar").toString(), "h1")).isNotNull();
    Path link = Files.createSymbolicLink(programs.resolve("link.jar"), outside);
    assertThat(jars.problem(link.toString(), "h1")).contains("is not in a directory");
    assertThat(jars.problem(programs.resolve("missing.jar").toString(), "h1")).contains("is not readable");
    assertThat(jars.problem(programs.toString(), "h1")).contains("is not readable"); // a directory is no jar
    assertThat(ProgramJars.none().problem(inside.toString(), "h1")).contains("agent.jar-dirs: none");
  }
}
