package io.roam.agent.guest;

import io.roam.common.Sizes;
import java.util.Map;

/**
 * A program's arguments (from {@code --arg k=v}), the address its host gives it for services, and
 * its folder on the shared datastore (its disk; null when the host has no datastore).
 */
public record GuestArgs(Map<String, String> values, String bindAddress, java.nio.file.Path disk) {

  public GuestArgs {
    values = Map.copyOf(values);
  }

  public GuestArgs(Map<String, String> values, String bindAddress) {
    this(values, bindAddress, null);
  }

  public String get(String key, String def) {
    return values.getOrDefault(key, def);
  }

  public double getDouble(String key, double def) {
    String v = values.get(key);
    if (v == null) {
      return def;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("argument " + key + "=" + v + " is not a number");
    }
  }

  public int getInt(String key, int def) {
    String v = values.get(key);
    if (v == null) {
      return def;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("argument " + key + "=" + v + " is not an integer");
    }
  }

  public long getSize(String key, long def) {
    String v = values.get(key);
    return v == null ? def : Sizes.parse(v);
  }
}
