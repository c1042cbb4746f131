package io.roam.master.cli;

import java.util.Map;
import java.util.Set;

/**
 * Colour for the outcome words roamctl prints in its detail views ("succeeded", "failed"...): only
 * when standard output is a terminal, and never when NO_COLOR is set to anything (no-color.org).
 * Tables are never coloured: escape codes would break their columns for whoever cuts them.
 *
 * <p>Immutable.
 */
final class Colour {
  private static final Set<String> GOOD = Set.of("succeeded", "completed", "running", "connected");
  private static final Set<String> BAD = Set.of("failed", "crashed", "cancelled", "not-responding", "isolated",
      "disconnected");
  private final boolean on;

  private Colour(boolean on) {
    this.on = on;
  }

  static Colour of(Roamctl root) {
    return of(Progress.of(root).onTerminal(), root.env());
  }

  static Colour of(boolean terminal, Map<String, String> env) {
    String noColor = env == null ? null : env.get("NO_COLOR");
    return new Colour(terminal && (noColor == null || noColor.isEmpty()));
  }

  /** {@code word} in green when it says all is well, red when it says something went wrong, else as is. */
  String outcome(String word) {
    if (!on) {
      return word;
    }
    if (GOOD.contains(word)) {
      return "\u001b[32m" + word + "\u001b[0m";
    }
    return BAD.contains(word) ? "\u001b[31m" + word + "\u001b[0m" : word;
  }
}
