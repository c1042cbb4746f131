package io.roam.common;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints byte sizes the way operators write them: {@code 256MiB}, {@code 1g}, {@code 4096}. */
public final class Sizes {
  public static final long KIB = 1024L;
  public static final long MIB = 1024L * KIB;
  public static final long GIB = 1024L * MIB;
  public static final long TIB = 1024L * GIB;

  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]?)(i?b)?", Pattern.CASE_INSENSITIVE);

  private Sizes() {}

  /**
   * Parses a size; units are binary (k, KiB, KB all mean 1024).
   *
   * @throws IllegalArgumentException with a message naming the accepted forms
   */
  public static long parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("a size is required, e.g. 256MiB");
    }
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a size; use a number with an optional unit: 4096, 512KiB, 256MiB, 8GiB");
    }
    long n;
    try {
      n = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is too large");
    }
    long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "k" -> KIB;
      case "m" -> MIB;
      case "g" -> GIB;
      case "t" -> TIB;
      default -> 1;
    };
    if (n > Long.MAX_VALUE / unit) {
      throw new IllegalArgumentException("'" + text + "' is too large");
    }
    return n * unit;
  }

  /** Prints a size with the largest binary unit that keeps one decimal, e.g. {@code 1.5 GiB}. */
  public static String format(long bytes) {
    if (bytes < KIB) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return (v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v)) + " " + units[i];
  }
}
