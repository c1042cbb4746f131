package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.roam.common.security.PkiDirectory;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** roamctl as a real process: documented exit codes and one-line errors. */
class RoamctlProcessTest {
  @TempDir static Path home;

  record Run(int exit, String out, String err) {}

  /** roamctl with the TLS files of an admin user (no master is needed to read them). */
  static Run roamctlAsAdmin(String... args) throws IOException, InterruptedException {
    TlsFiles admin = PkiDirectory.open(home.resolve("pki"), "it").peer(Role.ADMIN, "admin", List.of());
    List<String> all = new ArrayList<>(List.of("--tls-ca", admin.ca().toString(), "--tls-cert", admin.cert().toString(),
        "--tls-key", admin.key().toString()));
    all.addAll(List.of(args));
    return roamctl(all.toArray(String[]::new));
  }

  static Run roamctl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.roam.master.cli.Roamctl"));
    cmd.addAll(List.of(args));
    ProcessBuilder b = new ProcessBuilder(cmd);
    // No ~/.roam of whoever runs the tests (another test class calling this has no `home` of ours).
    b.environment().put("HOME", (home != null ? home : java.nio.file.Files.createTempDirectory("roamctl-home")).toString());
    b.environment().keySet().removeIf(k -> k.startsWith("ROAM_"));
    // Standard error to a file: reading one pipe to its end while the other fills would hang both.
    Path errFile = java.nio.file.Files.createTempFile("roamctl", ".err");
    b.redirectError(errFile.toFile());
    Process p = b.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    String err = java.nio.file.Files.readString(errFile, StandardCharsets.UTF_8);
    java.nio.file.Files.deleteIfExists(errFile);
    return new Run(p.exitValue(), out, err);
  }

  @Test
  void noMasterIsExitCodeOneWithOneLine() throws Exception {
    int port = LocalCluster.freePort(); // nothing listens there
    Run r = roamctlAsAdmin("--master", "127.0.0.1:" + port, "--timeout", "5", "host", "ls");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().strip()).startsWith("roamctl: error: no leader master answered at 127.0.0.1:" + port)
        .doesNotContain("\n");
  }

  @Test
  void noCertificateIsExitCodeOneWithOneLineSayingWhereToPutIt() throws Exception {
    int port = LocalCluster.freePort();
    Run r = roamctl("--master", "127.0.0.1:" + port, "--timeout", "5", "host", "ls");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().strip()).startsWith("roamctl: error: cannot read " + home.resolve(".roam/ca.crt"))
        .contains("--tls-ca/--tls-cert/--tls-key").contains("$ROAM_TLS_CA").doesNotContain("\n");
  }

  @Test
  void badUsageIsExitCodeTwo() throws Exception {
    Run r = roamctl("vm", "create", "x", "--memory", "16MiB");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("Missing required option: '--program=PROGRAM'").contains("Try 'roamctl vm create --help'");
  }

  @Test
  void helpListsTheCommandsAndExitCodes() throws Exception {
    Run r = roamctl("--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("host").contains("vm").contains("kv").contains("Exit codes: 0 ok, 1 error, 2 usage.");
  }
}
