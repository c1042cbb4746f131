package io.roam.common.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Renders docs/configuration.md from {@link RoamKeys}: every setting with its flag, environment
 * variable, default, allowed values, which daemon reads it and what it means. The file is generated
 * so that it cannot drift from what the daemons accept; a test compares the checked-in file with this
 * rendering, and {@code ./roam docs} writes it again.
 *
 * <p>Stateless and thread-safe.
 */
public final class ConfigReference {
  private ConfigReference() {}

  /**
   * Defaults computed from the machine a daemon starts on, described rather than printed (the
   * reference must read the same wherever it is generated).
   */
  private static final Map<ConfigKey<?>, String> MACHINE_DEFAULTS = Map.of(
      RoamKeys.AGENT_NAME, "the machine's host name",
      RoamKeys.AGENT_CORES, "every core of the machine",
      RoamKeys.AGENT_MEMORY, "half of the machine's physical memory");

  /** Settings without which a daemon refuses to start. */
  private static final List<ConfigKey<?>> REQUIRED = List.of(RoamKeys.TLS_CA, RoamKeys.TLS_CERT, RoamKeys.TLS_KEY);

  public static String render() {
    StringBuilder sb = new StringBuilder();
    sb.append("<!-- Generated from RoamKeys by `./roam docs`; edit the descriptions there, not here. -->\n")
        .append("# Configuration reference\n\n")
        .append("Masters (`roam-master`) and agents (`roam-agent`) read each setting from, in increasing order of\n")
        .append("precedence: its default, the YAML file (`--config FILE`, `$ROAM_CONFIG`, or `conf/roam.yaml` in the\n")
        .append("working directory), the environment, and the command line. A bad value stops the daemon at\n")
        .append("start-up with the key and what is allowed (exit code 2), e.g. `roam-agent: invalid value '99999'\n")
        .append("for agent.port: expected an integer from 0 to 65535`; an unknown key in the file is an error too.\n")
        .append("In YAML a dotted key may be written flat (`agent.port: 7701`) or nested (`agent: {port: 7701}`).\n")
        .append("`roam-master --help` and `roam-agent --help` print the same list. The annotated example is the\n")
        .append("distribution's `conf/roam.yaml`.\n\n")
        .append("| key | flag | environment | default | allowed | read by | meaning |\n")
        .append("|---|---|---|---|---|---|---|\n");
    for (ConfigKey<?> k : RoamKeys.ALL) {
      sb.append("| `").append(k.name()).append("` | `--").append(k.flag()).append("` | `").append(k.envName())
          .append("` | ").append(cell(defaultText(k))).append(" | ").append(cell(k.allowed())).append(" | ")
          .append(readBy(k)).append(" | ").append(cell(k.doc())).append(" |\n");
    }
    return sb.toString();
  }

  static String defaultText(ConfigKey<?> k) {
    String machine = MACHINE_DEFAULTS.get(k);
    if (machine != null) {
      return machine;
    }
    String v = k.defaultValue() == null ? "" : String.valueOf(k.defaultValue());
    if (v.isEmpty()) {
      return REQUIRED.contains(k) ? "none (required)" : "empty";
    }
    return "`" + v + "`";
  }

  private static String readBy(ConfigKey<?> k) {
    boolean master = RoamKeys.MASTER.contains(k);
    boolean agent = RoamKeys.AGENT.contains(k);
    return master && agent ? "both" : master ? "master" : "agent";
  }

  /** A Markdown table cell: pipes escaped, no line breaks. */
  private static String cell(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }

  /** Writes the reference to the file named by the only argument (docs/configuration.md). */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: ConfigReference OUTPUT.md");
      System.exit(2);
    }
    Files.writeString(Path.of(args[0]), render(), StandardCharsets.UTF_8);
  }
}
