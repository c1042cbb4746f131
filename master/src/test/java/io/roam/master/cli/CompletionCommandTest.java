package io.roam.master.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `roamctl completion bash` completes roamctl's commands and options in a real bash. */
class CompletionCommandTest {
  @TempDir Path dir;

  @Test
  void bashCompletesSubcommandsAndOptions() throws Exception {
    Path script = dir.resolve("roamctl.bash");
    Files.writeString(script, run("completion", "bash"));
    assertThat(complete(script, "roamctl", "vm", "mi")).contains("migrate");
    assertThat(complete(script, "roamctl", "vm", "logs", "--fo")).contains("--follow");
    assertThat(complete(script, "roamctl", "ho")).contains("host");
  }

  @Test
  void zshGetsTheSameScriptThroughBashcompinitAndABadShellIsAUsageError() throws Exception {
    assertThat(run("completion", "zsh")).startsWith("autoload -U +X compinit").contains("_complete_roamctl");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Roamctl.run(new String[] {"completion", "fish"}, new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    assertThat(code).isEqualTo(Roamctl.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("bash, zsh");
  }

  private static String run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = Roamctl.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), System.err, Map.of());
    assertThat(code).isZero();
    return out.toString(StandardCharsets.UTF_8);
  }

  /** What bash offers for the words typed so far, the last one being completed. */
  private static String complete(Path script, String... words) throws Exception {
    String line = String.join(" ", words);
    String cmd = "source " + script + "; COMP_WORDS=(" + line + "); COMP_CWORD=" + (words.length - 1)
        + "; COMP_LINE='" + line + "'; COMP_POINT=" + line.length() + "; _complete_roamctl; printf '%s\\n' \"${COMPREPLY[@]}\"";
    Process p = new ProcessBuilder(List.of("bash", "-c", cmd)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out;
  }
}
