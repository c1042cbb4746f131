package io.roam.master.cli;

import java.io.PrintStream;

/**
 * A progress line that is rewritten in place (carriage return) on a terminal, and never printed
 * into a pipe or a file, where carriage returns would only garble what a script reads: there, the
 * caller prints the outcome alone.
 *
 * <p>Not thread-safe: one command's thread.
 */
final class Progress {
  private final PrintStream out;
  private final boolean terminal;
  private int shown;

  private Progress(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** On roamctl's standard output when it is a terminal (System.console() is not null); else silent. */
  static Progress of(Roamctl root) {
    return new Progress(root.out, root.out == System.out && System.console() != null);
  }

  boolean onTerminal() {
    return terminal;
  }

  void update(String line) {
    if (!terminal) {
      return;
    }
    out.print("\r" + line + " ".repeat(Math.max(0, shown - line.length())));
    out.flush();
    shown = line.length();
  }

  /** Ends the line, so what is printed next starts on its own. */
  void done() {
    if (terminal && shown > 0) {
      out.println();
      shown = 0;
    }
  }
}
