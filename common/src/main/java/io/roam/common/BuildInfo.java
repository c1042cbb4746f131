package io.roam.common;

/**
 * The version Roam was built as: the Implementation-Version that Maven writes into each jar's
 * manifest. Classes loaded from a directory (tests in the reactor) have none.
 */
public final class BuildInfo {
  /** What {@link #version} says when the class was not loaded from a Roam jar. */
  public static final String UNKNOWN = "unknown (not run from a Roam jar)";

  private BuildInfo() {}

  /** The version of the jar {@code type} was loaded from, or {@link #UNKNOWN}. */
  public static String version(Class<?> type) {
    Package p = type.getPackage();
    String v = p == null ? null : p.getImplementationVersion();
    return v == null || v.isBlank() ? UNKNOWN : v;
  }

  /** {@code COMMAND VERSION (Java V)}: what a daemon's --version prints. */
  public static String versionLine(String command, Class<?> main) {
    return command + " " + version(main) + " (Java " + Runtime.version() + ")";
  }
}
