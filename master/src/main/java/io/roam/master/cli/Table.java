package io.roam.master.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A plain text table with left-aligned columns, as kubectl and virsh print them. */
final class Table {
  private final List<String[]> rows = new ArrayList<>();
  /** The columns' widths as last printed, so that rows printed later (a watch's) line up. */
  private int[] width;

  Table(String... header) {
    rows.add(header);
  }

  Table row(Object... cells) {
    String[] r = new String[cells.length];
    for (int i = 0; i < cells.length; i++) {
      r[i] = cells[i] == null ? "" : cells[i].toString();
    }
    rows.add(r);
    return this;
  }

  void print(PrintStream out) {
    int cols = rows.get(0).length;
    width = new int[cols];
    for (String[] r : rows) {
      for (int i = 0; i < cols; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    for (String[] r : rows) {
      printLine(out, r);
    }
  }

  int columns() {
    return rows.get(0).length;
  }

  /** Prints one more row under the table printed before, in its columns (as kubectl -w does). */
  void printRow(PrintStream out, Object... cells) {
    String[] r = new String[cells.length];
    for (int i = 0; i < cells.length; i++) {
      r[i] = cells[i] == null ? "" : cells[i].toString();
    }
    if (width == null) {
      width = new int[r.length];
      for (int i = 0; i < r.length; i++) {
        width[i] = rows.get(0)[i].length();
      }
    }
    printLine(out, r);
    out.flush();
  }

  private void printLine(PrintStream out, String[] r) {
    int cols = r.length;
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cols; i++) {
      // A later row's cell may be wider than its column: it still gets its two spaces.
      sb.append(i == cols - 1 ? r[i] : String.format("%-" + (Math.max(width[i], r[i].length()) + 2) + "s", r[i]));
    }
    out.println(sb.toString().stripTrailing());
  }
}
