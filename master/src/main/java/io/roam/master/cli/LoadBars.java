package io.roam.master.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws each host's load as a bar against DRS's target, for `roamctl drs status`: the cluster's mean
 * load is marked {@code |}, the band DRS tolerates around it (mean ± the target imbalance) is
 * bracketed, and hosts outside the band are flagged. The picture says at a glance what the
 * imbalance figure means: how far each host is from the others.
 *
 * <p>A pure function of its inputs. Thread-safe.
 */
final class LoadBars {
  private LoadBars() {}

  static final int WIDTH = 40;

  static List<String> draw(Map<String, Double> loads, double targetImbalance) {
    if (loads.isEmpty()) {
      return List.of();
    }
    double mean = loads.values().stream().mapToDouble(Double::doubleValue).average().orElse(0);
    double top = Math.max(1.0, loads.values().stream().mapToDouble(Double::doubleValue).max().orElse(0));
    int nameWidth = Math.max(4, loads.keySet().stream().mapToInt(String::length).max().orElse(4));
    int meanAt = column(mean, top);
    int lowAt = column(Math.max(0, mean - targetImbalance), top);
    int highAt = column(mean + targetImbalance, top);
    List<String> out = new ArrayList<>();
    out.add(String.format(Locale.ROOT, "%-" + nameWidth + "s  %-" + (WIDTH + 2) + "s %s", "HOST",
        "LOAD (CPU demand / cores; | mean, [ ] mean ± target)", ""));
    for (Map.Entry<String, Double> e : new java.util.TreeMap<>(loads).entrySet()) {
      double load = e.getValue();
      char[] bar = new char[WIDTH + 1];
      int filled = column(load, top);
      for (int i = 0; i <= WIDTH; i++) {
        bar[i] = i < filled ? '#' : ' ';
      }
      mark(bar, lowAt, '[');
      mark(bar, highAt, ']');
      mark(bar, meanAt, '|');
      boolean outside = Math.abs(load - mean) > targetImbalance;
      out.add(String.format(Locale.ROOT, "%-" + nameWidth + "s  %s  %5.2f%s", e.getKey(), new String(bar), load,
          outside ? (load > mean ? "  above the band" : "  below the band") : ""));
    }
    return out;
  }

  /** Column 0..WIDTH of a load on a scale from 0 to {@code top}. */
  private static int column(double load, double top) {
    return (int) Math.round(Math.min(1, Math.max(0, load / top)) * WIDTH);
  }

  /** A marker shows on an empty cell as itself and on a filled one too (it is what the eye looks for). */
  private static void mark(char[] bar, int at, char c) {
    if (at >= 0 && at < bar.length) {
      bar[at] = c;
    }
  }
}
