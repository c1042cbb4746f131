package io.roam.common.net;

/**
 * A VM's own IPv4 address with the prefix length of its subnet, as given to {@code ip addr add}
 * ("10.0.0.5/24"). Immutable; {@link #toString} is the canonical text kept in the VM's spec.
 */
public record VmAddress(int bits, int prefix) {
  public VmAddress {
    if (prefix < 1 || prefix > 32) {
      throw new IllegalArgumentException("prefix length " + prefix + " is out of range 1 to 32");
    }
  }

  /**
   * Parses {@code ADDRESS/PREFIX} (IPv4, dotted decimal).
   *
   * @throws IllegalArgumentException with a one-line message for the user
   */
  public static VmAddress parse(String text) {
    String t = text == null ? "" : text.trim();
    int slash = t.indexOf('/');
    if (t.contains(":")) {
      throw new IllegalArgumentException("'" + t + "': only IPv4 VM addresses are supported, e.g. 10.0.0.5/24");
    }
    if (slash < 0) {
      throw new IllegalArgumentException("'" + t + "' is not ADDRESS/PREFIX: give the subnet's prefix length too,"
          + " e.g. " + (t.isEmpty() ? "10.0.0.5" : t) + "/24");
    }
    int bits = parseIpv4(t.substring(0, slash), t);
    int prefix;
    try {
      prefix = Integer.parseInt(t.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + t + "': the prefix length after '/' must be a number from 1 to 32");
    }
    if (prefix < 1 || prefix > 32) {
      throw new IllegalArgumentException("'" + t + "': the prefix length after '/' must be a number from 1 to 32");
    }
    return new VmAddress(bits, prefix);
  }

  /** Dotted-decimal IPv4 to its 32 bits; {@code whole} names the text in the message. */
  static int parseIpv4(String dotted, String whole) {
    String[] parts = dotted.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("'" + whole + "' is not an IPv4 address such as 10.0.0.5/24");
    }
    int bits = 0;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("'" + whole + "' is not an IPv4 address such as 10.0.0.5/24");
      }
      int octet = Integer.parseInt(p);
      if (octet > 255) {
        throw new IllegalArgumentException("'" + whole + "' is not an IPv4 address: " + octet + " is over 255");
      }
      bits = bits << 8 | octet;
    }
    return bits;
  }

  static String format(int bits) {
    return (bits >>> 24) + "." + (bits >>> 16 & 255) + "." + (bits >>> 8 & 255) + "." + (bits & 255);
  }

  /** The address alone, e.g. "10.0.0.5" (what a program binds and a client dials). */
  public String ip() {
    return format(bits);
  }

  /** The network mask of the prefix as 32 bits. */
  static int mask(int prefix) {
    return prefix == 0 ? 0 : -1 << (32 - prefix);
  }

  /** Whether this is the subnet's network or broadcast address (only for subnets that have them: /30 and wider). */
  public boolean isNetworkOrBroadcast() {
    if (prefix > 30) {
      return false;
    }
    int host = bits & ~mask(prefix);
    return host == 0 || host == ~mask(prefix);
  }

  @Override
  public String toString() {
    return ip() + "/" + prefix;
  }
}
