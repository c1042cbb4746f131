package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.security.TlsFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution's bin/roamctl and its class data sharing archive: made by the first call that
 * succeeds against a master (not by --version, not by a failed call), used from then on, and never
 * a word of it in what roamctl prints (CDS warns about classes it cannot archive, on standard output).
 */
class RoamctlArchiveTest {
  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  @Test
  void theFirstSuccessfulCallMakesTheArchiveAndNothingOfItReachesTheOutput() throws Exception {
    Path roamctl = Checkout.root().resolve("deploy/target/roam/roam/bin/roamctl");
    assertThat(roamctl).as("the unpacked distribution (the reactor packages deploy first)").exists();
    Path cache = dir.resolve("cache");
    try (LocalCluster c = LocalCluster.start(dir.resolve("cluster"), 1)) {
      TlsFiles admin = c.admin();
      Map<String, String> env = new HashMap<>(Map.of("ROAMCTL_CDS_DIR", cache.toString(),
          "ROAM_MASTER", c.masters.get(0).address(), "ROAM_TLS_CA", admin.ca().toString(),
          "ROAM_TLS_CERT", admin.cert().toString(), "ROAM_TLS_KEY", admin.key().toString()));

      Run version = run(roamctl, env, "--version");
      assertThat(version.exit()).isZero();
      assertThat(archives(cache)).as("--version makes no archive").isEmpty();

      Map<String, String> noMaster = new HashMap<>(env);
      noMaster.put("ROAM_MASTER", "127.0.0.1:" + LocalCluster.freePort());
      assertThat(run(roamctl, noMaster, "--timeout", "3", "host", "ls").exit()).isEqualTo(1);
      assertThat(archives(cache)).as("a failed call keeps no archive").isEmpty();

      Map<String, String> plain = new HashMap<>(env);
      plain.put("ROAMCTL_CDS", "0");
      Run without = run(roamctl, plain, "-o", "json", "vm", "ls");
      Run making = run(roamctl, env, "-o", "json", "vm", "ls");
      assertThat(making.exit()).as(making.err()).isZero();
      assertThat(archives(cache)).as("the first call to a master makes the archive").hasSize(1);
      Run using = run(roamctl, env, "-o", "json", "vm", "ls");
      assertThat(using.exit()).isZero();
      for (Run r : List.of(making, using)) {
        assertThat(r.out()).isEqualTo(without.out()).doesNotContain("cds").doesNotContain("warning");
        assertThat(r.err()).isEqualTo(without.err());
      }
      assertThat(archives(cache)).hasSize(1);
      try (Stream<Path> left = Files.list(cache)) {
        assertThat(left).as("no partial archive left").allMatch(p -> p.toString().endsWith(".jsa"));
      }
    }
  }

  private static List<Path> archives(Path cache) throws Exception {
    if (!Files.isDirectory(cache)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(cache)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".jsa")).toList();
    }
  }

  private static Run run(Path roamctl, Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(roamctl.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder b = new ProcessBuilder(cmd);
    b.environment().keySet().removeIf(k -> k.startsWith("ROAM"));
    b.environment().put("JAVA_HOME", System.getProperty("java.home"));
    b.environment().putAll(env);
    // Standard error to a file: reading one pipe to its end while the other fills would hang both.
    Path errFile = java.nio.file.Files.createTempFile("roamctl", ".err");
    b.redirectError(errFile.toFile());
    Process p = b.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String err = java.nio.file.Files.readString(errFile, StandardCharsets.UTF_8);
    java.nio.file.Files.deleteIfExists(errFile);
    return new Run(p.exitValue(), out, err);
  }

}
