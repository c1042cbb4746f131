package io.roam.it;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The checkout these tests and benchmarks run from: where the built distribution, the compose file
 * and the docs are. Maven names it ({@code roam.checkout}, set for every module's tests in the root
 * pom); run another way ({@code ./roam bench} from anywhere in the checkout), it is the nearest
 * directory upwards holding the root pom's {@code docs/DESIGN.md}.
 */
public final class Checkout {
  private Checkout() {}

  public static Path root() {
    String named = System.getProperty("roam.checkout");
    if (named != null && !named.isBlank()) {
      return Path.of(named).toAbsolutePath();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("docs/DESIGN.md")) && Files.exists(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("not inside a Roam checkout: " + Path.of("").toAbsolutePath());
  }
}
