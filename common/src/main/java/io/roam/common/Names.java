package io.roam.common;

import java.util.regex.Pattern;

/**
 * The one rule for the names of VMs and hosts, used by masters and agents alike: a name becomes a
 * file name (guest memory, control socket, log, pid file, datastore directory) and a ZooKeeper
 * node, so it must never be able to name anything else. 1 to 63 letters, digits, '.', '_' or '-',
 * starting with a letter or digit, never containing "..": no '/', no "." or "..", no NUL, nothing
 * a shell or a path would read specially. (VM names have followed this rule since the first
 * release, apart from "..", which no file name needs.)
 */
public final class Names {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");

  private Names() {}

  public static boolean isValid(String name) {
    return name != null && NAME.matcher(name).matches() && !name.contains("..");
  }

  /** Null when {@code name} may name a VM, else one line saying why not. */
  public static String checkVmName(String name) {
    return isValid(name) ? null : "invalid VM name '" + printable(name) + "': use 1 to 63 letters, digits, '.', '_'"
        + " or '-', starting with a letter or digit, without '..'";
  }

  public static boolean isValidHostName(String name) {
    return isValid(name);
  }

  /** A name that broke the rule where it was about to become a path; callers answer "invalid argument". */
  public static final class InvalidNameException extends IllegalArgumentException {
    public InvalidNameException(String message) {
      super(message);
    }
  }

  /** {@code name} if it may name a VM, else {@link InvalidNameException} with one line saying why. */
  public static String requireVm(String name) {
    String problem = checkVmName(name);
    if (problem != null) {
      throw new InvalidNameException(problem);
    }
    return name;
  }

  /** {@code name} if it may name a host, else {@link InvalidNameException}. */
  public static String requireHost(String name) {
    if (!isValid(name)) {
      throw new InvalidNameException("invalid host name '" + printable(name) + "': use 1 to 63 letters, digits, '.',"
          + " '_' or '-', starting with a letter or digit, without '..'");
    }
    return name;
  }

  /** A name as an error message may show it: at most 80 characters, control characters escaped. */
  private static String printable(String name) {
    if (name == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < name.length() && sb.length() < 80; i++) {
      char c = name.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    return name.length() > 80 ? sb + "..." : sb.toString();
  }
}
