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

  private final java.util.Map<String, TlsFiles> files = new java.util.concurrent.ConcurrentHashMap<>();

  /** The TLS files of {@code role} {@code name}, issued once (for loopback). */
  public TlsFiles files(Role role, String name) throws Exception {
    String key = role.label() + "-" + name;
    TlsFiles f = files.get(key);
    if (f == null) {
      CertificateAuthority.Issued i = issue(role, name);
      f = TlsFiles.of(i.ca(), i.cert(), i.key());
      files.put(key, f);
    }
    return f;
  }

  /** The data plane of the agent of host {@code name}. */
  DataPlaneSecurity agent(String name, MigrationEncryption encryption) throws Exception {
    return DataPlaneSecurity.of(files(Role.AGENT, name), encryption);
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
