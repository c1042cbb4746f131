package io.roam.master.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * Renders docs/cli.md from roamctl's own command model: every command, in the order `roamctl --help`
 * lists them, with exactly the text its `--help` prints. Generated, so that the reference cannot
 * drift from the commands; a test runs `--help` on every command and finds its text in the file, and
 * {@code ./roam docs} writes it again.
 *
 * <p>Stateless and thread-safe (each rendering builds its own command model).
 */
public final class CliReference {
  private CliReference() {}

  /** Every command's path below roamctl (the root first, as ["roamctl"]), depth first in declaration order. */
  public static List<List<String>> commands() {
    List<List<String>> out = new ArrayList<>();
    walk(new CommandLine(new Roamctl()), new ArrayList<>(List.of("roamctl")), out);
    return out;
  }

  private static void walk(CommandLine cl, List<String> path, List<List<String>> out) {
    out.add(List.copyOf(path));
    for (Map.Entry<String, CommandLine> sub : cl.getSubcommands().entrySet()) {
      // Aliases map to the same command: list it once, under its own name.
      if (!sub.getKey().equals(sub.getValue().getCommandName()) || sub.getValue().getCommandSpec().usageMessage().hidden()) {
        continue;
      }
      path.add(sub.getKey());
      walk(sub.getValue(), path, out);
      path.remove(path.size() - 1);
    }
  }

  /** What `roamctl ARGS... --help` prints, run as a user would (in this JVM, no master needed). */
  public static String help(List<String> command) {
    List<String> args = new ArrayList<>(command.subList(1, command.size()));
    args.add("--help");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Roamctl.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    return out.toString(StandardCharsets.UTF_8);
  }

  public static String render() {
    StringBuilder sb = new StringBuilder();
    sb.append("<!-- Generated from roamctl's commands by `./roam docs`; edit the commands, not this file. -->\n")
        .append("# roamctl command reference\n\n")
        .append("Every command of `roamctl`, with what its `--help` prints. Options of `roamctl` itself (`--master`,\n")
        .append("`-o`, `--timeout`, `--tls-*`) are accepted by every command. Exit codes: 0 ok, 1 the operation\n")
        .append("failed (one line on standard error says why), 2 bad usage.\n\n");
    List<List<String>> commands = commands();
    for (List<String> c : commands) {
      String name = String.join(" ", c);
      sb.append("- [`").append(name).append("`](#").append(anchor(name)).append(")\n");
    }
    for (List<String> c : commands) {
      sb.append("\n## ").append(String.join(" ", c)).append("\n\n```\n").append(help(c).stripTrailing())
          .append("\n```\n");
    }
    return sb.toString();
  }

  /** GitHub's heading anchor: lower case, spaces to dashes, other punctuation dropped. */
  static String anchor(String heading) {
    return heading.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9 -]", "").replace(' ', '-');
  }

  /** Writes the reference to the file named by the only argument (docs/cli.md). */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: CliReference OUTPUT.md");
      System.exit(2);
    }
    Files.writeString(Path.of(args[0]), render(), StandardCharsets.UTF_8);
  }
}
