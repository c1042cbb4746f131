package io.roam.common.config;

/**
 * A configuration value that cannot be used; the message names the key and what is allowed. The
 * message is always one line of bounded length, whatever text it quotes (a value, a key or an
 * argument may hold line breaks or be huge): control characters are shown escaped.
 */
public final class ConfigException extends RuntimeException {
  static final int MAX_MESSAGE = 500;

  public ConfigException(String message) {
    super(oneLine(message));
  }

  static String oneLine(String message) {
    StringBuilder b = new StringBuilder(Math.min(message.length(), MAX_MESSAGE) + 16);
    for (int i = 0; i < message.length() && b.length() < MAX_MESSAGE; i++) {
      char c = message.charAt(i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || c == '\u0085') {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    if (b.length() >= MAX_MESSAGE && message.length() > MAX_MESSAGE) {
      b.append("...");
    }
    return b.toString();
  }
}
