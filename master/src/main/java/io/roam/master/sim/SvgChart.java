package io.roam.master.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A line chart as a standalone SVG document: panels stacked vertically, each with its own y axis
 * and one or more series over a shared x axis. Enough for the simulator's charts without a charting
 * library (and without a headless AWT): the output is text a browser or a README shows.
 *
 * <p>Immutable builder-style values; {@link #render} is a pure function. Thread-safe.
 */
public final class SvgChart {
  /** One line: its legend and its points as (x, y). */
  public record Series(String name, String colour, List<double[]> points) {}

  /** One plot area with its own y axis. */
  public record Panel(String yLabel, List<Series> series) {}

  static final int WIDTH = 900;
  static final int PANEL_HEIGHT = 220;
  static final int LEFT = 70;
  static final int RIGHT = 20;
  static final int TOP = 40;
  static final int GAP = 50;

  private final String title;
  private final String xLabel;
  private final List<Panel> panels;

  public SvgChart(String title, String xLabel, List<Panel> panels) {
    this.title = title;
    this.xLabel = xLabel;
    this.panels = List.copyOf(panels);
  }

  public String render() {
    int height = TOP + panels.size() * (PANEL_HEIGHT + GAP) + 10;
    double xMin = Double.MAX_VALUE;
    double xMax = -Double.MAX_VALUE;
    for (Panel p : panels) {
      for (Series s : p.series()) {
        for (double[] pt : s.points()) {
          xMin = Math.min(xMin, pt[0]);
          xMax = Math.max(xMax, pt[0]);
        }
      }
    }
    if (xMin > xMax) {
      xMin = 0;
      xMax = 1;
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
        + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, height, WIDTH, height));
    sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, height));
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"16\">%s</text>%n", LEFT, escape(title)));
    int top = TOP;
    for (Panel p : panels) {
      panel(sb, p, top, xMin, xMax);
      top += PANEL_HEIGHT + GAP;
    }
    sb.append("</svg>\n");
    return sb.toString();
  }

  private void panel(StringBuilder sb, Panel p, int top, double xMin, double xMax) {
    double yMax = 0;
    for (Series s : p.series()) {
      for (double[] pt : s.points()) {
        yMax = Math.max(yMax, pt[1]);
      }
    }
    yMax = niceCeiling(yMax);
    int plotWidth = WIDTH - LEFT - RIGHT;
    int bottom = top + PANEL_HEIGHT;
    sb.append(String.format(Locale.ROOT, "<g class=\"panel\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\""
        + " fill=\"none\" stroke=\"#999\"/>%n", LEFT, top, plotWidth, PANEL_HEIGHT));
    for (int i = 0; i <= 4; i++) { // y grid and labels
      double v = yMax * i / 4;
      double y = bottom - PANEL_HEIGHT * (double) i / 4;
      sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
          + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT, y, LEFT + plotWidth, y, LEFT - 6, y + 4,
          label(v)));
    }
    for (int i = 0; i <= 6; i++) { // x labels
      double v = xMin + (xMax - xMin) * i / 6;
      double x = LEFT + plotWidth * (double) i / 6;
      sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x,
          bottom + 16, label(v)));
    }
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#555\">%s</text>%n",
        LEFT + plotWidth, bottom + 32, escape(xLabel)));
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#555\">%s</text>%n", LEFT + 4, top - 6,
        escape(p.yLabel())));
    int legendX = LEFT + plotWidth;
    for (int i = p.series().size() - 1; i >= 0; i--) {
      Series s = p.series().get(i);
      sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"%s\">%s</text>%n",
          legendX, top - 6, s.colour(), escape(s.name())));
      legendX -= 12 + 7 * s.name().length();
    }
    for (Series s : p.series()) {
      List<String> coords = new ArrayList<>();
      for (double[] pt : s.points()) {
        double x = LEFT + plotWidth * (xMax == xMin ? 0 : (pt[0] - xMin) / (xMax - xMin));
        double y = bottom - PANEL_HEIGHT * (yMax == 0 ? 0 : pt[1] / yMax);
        coords.add(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
      }
      sb.append(String.format(Locale.ROOT, "<polyline class=\"series\" data-name=\"%s\" fill=\"none\" stroke=\"%s\""
          + " stroke-width=\"1.5\" points=\"%s\"/>%n", escape(s.name()), s.colour(), String.join(" ", coords)));
    }
    sb.append("</g>\n");
  }

  /** The smallest of 1, 2, 2.5 or 5 times a power of ten at or above {@code v} (a round top for the axis). */
  static double niceCeiling(double v) {
    if (v <= 0) {
      return 1;
    }
    double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
    for (double step : new double[] {1, 2, 2.5, 5, 10}) {
      if (step * magnitude >= v) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }

  private static String label(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e9) {
      return String.valueOf((long) v);
    }
    return String.format(Locale.ROOT, Math.abs(v) < 10 ? "%.2f" : "%.1f", v);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
