package io.roam.master.cli;

import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code --version} of every roamctl command: the version of the jar roamctl runs from (its manifest's
 * Implementation-Version, else the pom.properties Maven puts in every jar), or "development build"
 * when run from classes.
 */
final class RoamctlVersion implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {"roamctl " + version()};
  }

  static String version() {
    String v = Roamctl.class.getPackage().getImplementationVersion();
    if (v != null && !v.isEmpty()) {
      return v;
    }
    try (InputStream in = Roamctl.class.getResourceAsStream("/META-INF/maven/io.roam/roam-master/pom.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        return p.getProperty("version", "development build");
      }
    } catch (java.io.IOException e) {
      // fall through
    }
    return "development build";
  }
}
