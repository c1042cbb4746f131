package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/roam-master --version} and {@code bin/roam-agent --version} of the distribution print
 * the version their jar was built as (the manifest's Implementation-Version) and exit 0, starting
 * nothing (no data directory appears, no certificate is asked for).
 */
class DaemonVersionTest {
  @TempDir Path cwd;

  @Test
  void daemonsPrintTheirJarsVersion() throws Exception {
    Path dist = Checkout.root().resolve("deploy/target/roam/roam");
    assertThat(dist.resolve("lib")).as("the unpacked distribution (the reactor packages deploy first)").exists();
    String version;
    try (Stream<Path> jars = Files.list(dist.resolve("lib"))) {
      String jar = jars.map(p -> p.getFileName().toString()).filter(n -> n.matches("roam-master-.*\\.jar"))
          .findFirst().orElseThrow();
      version = jar.substring("roam-master-".length(), jar.length() - ".jar".length());
    }
    for (String daemon : new String[] {"roam-master", "roam-agent"}) {
      ProcessBuilder b = new ProcessBuilder(dist.resolve("bin/" + daemon).toString(), "--version")
          .directory(cwd.toFile()).redirectErrorStream(true);
      b.environment().keySet().removeIf(k -> k.startsWith("ROAM_"));
      b.environment().put("JAVA_HOME", System.getProperty("java.home"));
      Process p = b.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      assertThat(out.strip()).startsWith(daemon + " " + version + " (Java ").doesNotContain("\n");
    }
    try (Stream<Path> left = Files.list(cwd)) {
      assertThat(left).as("--version starts nothing").isEmpty();
    }
  }

}
