package io.roam.common.config;

import io.roam.common.Sizes;
import java.util.function.Function;

/**
 * One setting: its dotted name (as in roam.yaml), the command-line flag of the process that reads
 * it, its default, and how a text becomes a value. The environment name is derived:
 * {@code agent.port} is {@code ROAM_AGENT_PORT}.
 */
public record ConfigKey<T>(String name, String flag, T defaultValue, Function<String, T> parser, String allowed,
    String doc) {

  public String envName() {
    return "ROAM_" + name.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  T parse(String text) {
    try {
      return parser.apply(text.trim());
    } catch (RuntimeException e) {
      throw new ConfigException("invalid value '" + text + "' for " + name + ": expected " + allowed);
    }
  }

  public static ConfigKey<String> string(String name, String flag, String def, String doc) {
    return new ConfigKey<>(name, flag, def, s -> s, "a string", doc);
  }

  public static ConfigKey<Integer> integer(String name, String flag, int def, int min, int max, String doc) {
    return new ConfigKey<>(name, flag, def, s -> {
      int v = Integer.parseInt(s);
      if (v < min || v > max) {
        throw new IllegalArgumentException();
      }
      return v;
    }, "an integer from " + min + " to " + max, doc);
  }

  public static ConfigKey<Integer> port(String name, String flag, int def, String doc) {
    return integer(name, flag, def, 0, 65535, doc);
  }

  public static ConfigKey<Long> size(String name, String flag, long def, long min, String doc) {
    return new ConfigKey<>(name, flag, def, s -> {
      long v = Sizes.parse(s);
      if (v < min) {
        throw new IllegalArgumentException();
      }
      return v;
    }, "a size of at least " + Sizes.format(min) + " such as 512MiB or 8GiB", doc);
  }

  /** A size that is 0 (meaning none) or at least {@code min}. */
  public static ConfigKey<Long> sizeZeroOrAtLeast(String name, String flag, long def, long min, String doc) {
    return new ConfigKey<>(name, flag, def, s -> {
      long v = Sizes.parse(s);
      if (v != 0 && v < min) {
        throw new IllegalArgumentException();
      }
      return v;
    }, "0 or a size of at least " + Sizes.format(min) + " such as 100MiB", doc);
  }

  /** Milliseconds from {@code min} to {@code max}. */
  public static ConfigKey<Long> millis(String name, String flag, long def, long min, long max, String doc) {
    return new ConfigKey<>(name, flag, def, s -> {
      long v = Long.parseLong(s);
      if (v < min || v > max) {
        throw new IllegalArgumentException();
      }
      return v;
    }, "a number of milliseconds from " + min + " to " + max, doc);
  }

  public static ConfigKey<Boolean> bool(String name, String flag, boolean def, String doc) {
    return new ConfigKey<>(name, flag, def, s -> {
      if (!s.equalsIgnoreCase("true") && !s.equalsIgnoreCase("false")) {
        throw new IllegalArgumentException();
      }
      return Boolean.parseBoolean(s);
    }, "true or false", doc);
  }

  public static ConfigKey<Long> millis(String name, String flag, long def, long min, String doc) {
    return new ConfigKey<>(name, flag, def, s -> {
      long v = Long.parseLong(s);
      if (v < min) {
        throw new IllegalArgumentException();
      }
      return v;
    }, "a number of milliseconds of at least " + min, doc);
  }
}
