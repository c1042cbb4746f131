package io.roam.master.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.security.PeerIdentity;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PkiCommandTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int roamctl(String... args) {
    out.reset();
    err.reset();
    return Roamctl.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void initThenIssueDaemonAndUserCertificatesThatLoadWithTheirRoles() throws Exception {
    Path ca = dir.resolve("ca");
    assertThat(roamctl("pki", "init", ca.toString(), "--cluster", "lab")).isEqualTo(0);
    assertThat(roamctl("pki", "issue", "agent", "host1", "--ca", ca.toString(), "--san", "10.1.2.3", "--san", "host1.lab",
        "--out", dir.resolve("h1").toString())).isEqualTo(0);
    assertThat(roamctl("pki", "issue", "user", "alice", "--ca", ca.toString(), "--role", "operator",
        "--out", dir.resolve("alice").toString())).isEqualTo(0);

    TlsFiles agent = TlsFiles.of(dir.resolve("h1/ca.crt"), dir.resolve("h1/host1.crt"), dir.resolve("h1/host1.key"));
    assertThat(agent.identity()).isEqualTo(new PeerIdentity("host1", Role.AGENT));
    TlsFiles alice = TlsFiles.of(dir.resolve("alice/ca.crt"), dir.resolve("alice/alice.crt"), dir.resolve("alice/alice.key"));
    assertThat(alice.identity()).isEqualTo(new PeerIdentity("alice", Role.OPERATOR));
    assertThat(roamctl("pki", "issue", "zookeeper", "zk1", "--ca", ca.toString(), "--san", "zk1.lab",
        "--out", dir.resolve("zk1").toString())).isEqualTo(0);
    TlsFiles zk1 = TlsFiles.of(dir.resolve("zk1/ca.crt"), dir.resolve("zk1/zk1.crt"), dir.resolve("zk1/zk1.key"));
    assertThat(zk1.identity()).isEqualTo(new PeerIdentity("zk1", Role.ZOOKEEPER));
  }

  @Test
  void badRequestsFailWithOneLineAndWriteNothing() throws Exception {
    Path ca = dir.resolve("ca");
    assertThat(roamctl("pki", "init", ca.toString())).isEqualTo(0);
    Path outDir = dir.resolve("out");

    assertThat(roamctl("pki", "issue", "user", "bob", "--ca", ca.toString(), "--out", outDir.toString())).isEqualTo(1);
    assertThat(err()).isEqualTo("roamctl: error: a user certificate needs --role admin, operator or viewer\n");
    assertThat(roamctl("pki", "issue", "user", "bob", "--ca", ca.toString(), "--role", "master", "--out", outDir.toString()))
        .isEqualTo(1);
    assertThat(roamctl("pki", "issue", "agent", "../evil", "--ca", ca.toString(), "--out", outDir.toString())).isEqualTo(1);
    assertThat(err()).startsWith("roamctl: error: invalid name '../evil'").doesNotContain("\tat ");
    assertThat(roamctl("pki", "issue", "agent", "h", "--ca", dir.resolve("nope").toString(), "--out", outDir.toString()))
        .isEqualTo(1);
    assertThat(err()).contains("no CA in");
    assertThat(outDir).doesNotExist();

    // A second init would replace the CA every daemon trusts: refused, the CA unchanged.
    byte[] before = Files.readAllBytes(ca.resolve("ca.key"));
    assertThat(roamctl("pki", "init", ca.toString())).isEqualTo(1);
    assertThat(err()).contains("already holds a CA");
    assertThat(Files.readAllBytes(ca.resolve("ca.key"))).isEqualTo(before);
    try (Stream<Path> files = Files.list(ca)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("ca.crt", "ca.key");
    }
  }
}
