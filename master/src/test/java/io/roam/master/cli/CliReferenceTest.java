package io.roam.master.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/cli.md holds, for every roamctl command, exactly what its --help prints. */
class CliReferenceTest {

  @Test
  void everyCommandsHelpIsInTheCheckedInReference() throws Exception {
    String doc = Files.readString(Path.of(System.getProperty("roam.checkout")).resolve("docs/cli.md"));
    List<List<String>> commands = CliReference.commands();
    assertThat(commands).hasSizeGreaterThan(20).contains(List.of("roamctl", "vm", "migrate"));
    for (List<String> c : commands) {
      String help = CliReference.help(c).stripTrailing();
      assertThat(help).as(String.join(" ", c) + " --help").startsWith("Usage: " + String.join(" ", c));
      assertThat(doc).as("docs/cli.md is stale for '%s': run ./roam docs", String.join(" ", c))
          .contains("## " + String.join(" ", c) + "\n\n```\n" + help + "\n```\n");
    }
    assertThat(doc).as("docs/cli.md is stale: run ./roam docs").isEqualTo(CliReference.render());
  }
}
