package io.roam.agent.migration;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.roam.common.security.CertificateAuthority;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLContext;

/** A cluster CA in a test's directory and the data-plane TLS of agents it certifies. */
public final class TestPki {
  final Path dir;
  final CertificateAuthority ca;

  public TestPki(Path dir) throws Exception {
    this.dir = dir;
    Files.createDirectories(dir);
    this.ca = CertificateAuthority.init(dir, "test");
  }

  CertificateAuthority.Issued issue(Role role, String name) throws Exception {
    Path out = dir.resolve("issued-" + role.label() + "-" + name);
    Files.createDirectories(out);
    return ca.issue(role, name, List.of("127.0.0.1", "localhost"), CertificateAuthority.DEFAULT_VALIDITY, out);
  }

  /** The data plane of the agent of host {@code name}. */
  DataPlaneSecurity agent(String name, MigrationEncryption encryption) throws Exception {
    CertificateAuthority.Issued i = issue(Role.AGENT, name);
    return DataPlaneSecurity.of(TlsFiles.of(i.ca(), i.cert(), i.key()), encryption);
  }

  public DataPlaneSecurity agent(String name) throws Exception {
    return agent(name, MigrationEncryption.TLS);
  }

  /** A blocking JDK TLS client trusting this CA and presenting {@code issued} (null: no certificate). */
  SSLContext client(CertificateAuthority.Issued issued) throws Exception {
    SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(dir.resolve("ca.crt").toFile())
        .protocols("TLSv1.3");
    if (issued != null) {
      b.keyManager(issued.cert().toFile(), issued.key().toFile());
    }
    return ((JdkSslContext) b.build()).context();
  }

  /** A client presenting {@code issued} (from this CA) and trusting {@code server}'s CA. */
  SSLContext clientTrusting(TestPki server, CertificateAuthority.Issued issued) throws Exception {
    return ((JdkSslContext) SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
        .trustManager(server.dir.resolve("ca.crt").toFile()).protocols("TLSv1.3")
        .keyManager(issued.cert().toFile(), issued.key().toFile()).build()).context();
  }
}
