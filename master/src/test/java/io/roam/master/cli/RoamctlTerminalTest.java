package io.roam.master.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --version on every command; colour and progress lines only where a person reads them. */
class RoamctlTerminalTest {
  private record Run(int exit, String out) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream p = new PrintStream(out, true, StandardCharsets.UTF_8);
    int exit = Roamctl.run(args, p, p, Map.of());
    return new Run(exit, out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void everyCommandAnswersVersion() {
    List<List<String>> paths = new ArrayList<>();
    collect(new CommandLine(new Roamctl()), new ArrayList<>(), paths);
    assertThat(paths).hasSizeGreaterThan(30);
    for (List<String> path : paths) {
      List<String> args = new ArrayList<>(path);
      args.add("--version");
      Run r = run(args.toArray(String[]::new));
      assertThat(r.exit()).as("%s --version", path).isZero();
      assertThat(r.out()).as("%s --version", path).startsWith("roamctl ").doesNotContain("\n\n");
    }
  }

  private static void collect(CommandLine c, List<String> path, List<List<String>> out) {
    out.add(List.copyOf(path));
    c.getSubcommands().forEach((name, sub) -> {
      if (!name.equals(sub.getCommandName())) {
        return; // an alias
      }
      List<String> p = new ArrayList<>(path);
      p.add(name);
      collect(sub, p, out);
    });
  }

  @Test
  void colourOnlyOnATerminalAndNeverWithNoColor() {
    assertThat(Colour.of(true, Map.of()).outcome("failed")).isEqualTo("\u001b[31mfailed\u001b[0m");
    assertThat(Colour.of(true, Map.of()).outcome("succeeded")).contains("\u001b[32m");
    assertThat(Colour.of(true, Map.of("NO_COLOR", "1")).outcome("failed")).isEqualTo("failed");
    assertThat(Colour.of(false, Map.of()).outcome("failed")).isEqualTo("failed");
    assertThat(Colour.of(true, Map.of("NO_COLOR", "")).outcome("failed")).as("an empty NO_COLOR is unset")
        .contains("\u001b[");
  }

  @Test
  void noProgressLineIntoAPipe() {
    Roamctl root = new Roamctl();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    root.out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Progress p = Progress.of(root);
    p.update("Migration: [ 50 %]");
    p.done();
    assertThat(p.onTerminal()).isFalse();
    assertThat(bytes.toString(StandardCharsets.UTF_8)).isEmpty();
  }
}
