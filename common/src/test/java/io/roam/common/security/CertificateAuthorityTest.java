package io.roam.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
  @TempDir Path dir;

  @Test
  void issuedCertificateCarriesNameRoleAndAddressesAndLoadsAsTlsFiles() throws Exception {
    CertificateAuthority ca = CertificateAuthority.init(dir.resolve("ca"), "lab");
    var issued = ca.issue(Role.AGENT, "host1", List.of("host1.lab", "10.0.0.7"), Duration.ofDays(30), dir.resolve("host1"));

    X509Certificate cert = issued.certificate();
    cert.verify(ca.publicKey());
    assertThat(PeerIdentity.of(cert)).contains(new PeerIdentity("host1", Role.AGENT));
    Collection<List<?>> sans = cert.getSubjectAlternativeNames();
    assertThat(sans.stream().map(l -> (Object) l.get(1)).toList()).containsExactlyInAnyOrder("host1.lab", "10.0.0.7");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(issued.key()))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca/ca.key")))).isEqualTo("rw-------");

    TlsFiles files = TlsFiles.of(issued.ca(), issued.cert(), issued.key());
    assertThat(files.identity()).isEqualTo(new PeerIdentity("host1", Role.AGENT));
    // A CA loaded again from its directory issues certificates the same trust accepts.
    var again = CertificateAuthority.load(dir.resolve("ca")).issue(Role.VIEWER, "alice", List.of(), Duration.ofDays(1), dir.resolve("alice"));
    assertThat(TlsFiles.of(again.ca(), again.cert(), again.key()).identity().role()).isEqualTo(Role.VIEWER);
  }

  @Test
  void refusesAKeyOthersCanReadACertificateFromAnotherCaAndOverwritingACa() throws Exception {
    CertificateAuthority ca = CertificateAuthority.init(dir.resolve("ca"), "lab");
    CertificateAuthority other = CertificateAuthority.init(dir.resolve("other"), "evil");
    var issued = ca.issue(Role.MASTER, "m1", List.of("127.0.0.1"), Duration.ofDays(1), dir.resolve("m1"));
    var foreign = other.issue(Role.ADMIN, "mallory", List.of(), Duration.ofDays(1), dir.resolve("mallory"));

    assertThatThrownBy(() -> TlsFiles.of(issued.ca(), foreign.cert(), foreign.key()))
        .isInstanceOf(IOException.class).hasMessageContaining("was not issued by the CA");
    Files.setPosixFilePermissions(issued.key(), PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> TlsFiles.of(issued.ca(), issued.cert(), issued.key()))
        .isInstanceOf(IOException.class).hasMessageContaining("readable by others");
    byte[] before = Files.readAllBytes(dir.resolve("ca/ca.crt"));
    assertThatThrownBy(() -> CertificateAuthority.init(dir.resolve("ca"), "lab"))
        .isInstanceOf(IOException.class).hasMessageContaining("already holds a CA");
    assertThat(Files.readAllBytes(dir.resolve("ca/ca.crt"))).isEqualTo(before);
    assertThatThrownBy(() -> ca.issue(Role.AGENT, "../etc", List.of(), Duration.ofDays(1), dir))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void userRolesNestAndDaemonRolesDoNotGrantEachOther() {
    assertThat(Role.ADMIN.allows(Role.OPERATOR)).isTrue();
    assertThat(Role.OPERATOR.allows(Role.VIEWER)).isTrue();
    assertThat(Role.VIEWER.allows(Role.OPERATOR)).isFalse();
    assertThat(Role.OPERATOR.allows(Role.ADMIN)).isFalse();
    assertThat(Role.AGENT.allows(Role.VIEWER)).isFalse();
    assertThat(Role.ADMIN.allows(Role.MASTER)).isFalse();
    assertThat(Role.ADMIN.allows(Role.AGENT)).isFalse();
    assertThat(Role.MASTER.allows(Role.AGENT)).isFalse();
  }
}
