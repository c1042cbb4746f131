package io.roam.common.security;

import io.roam.common.config.RoamKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A CA and the certificates it issued, all in one directory: what a cluster on one machine (test
 * harnesses, benchmarks, the chaos run) uses so that it runs with mutual TLS like any other. The CA
 * is created on first use; each peer's certificate is issued once, on first use, and reused after
 * (a restarted process presents the same certificate).
 *
 * <p>Thread-safe (one lock per instance); two instances on the same directory must not issue at
 * the same time.
 */
public final class PkiDirectory {
  private final Path dir;
  private final CertificateAuthority ca;

  private PkiDirectory(Path dir, CertificateAuthority ca) {
    this.dir = dir;
    this.ca = ca;
  }

  /** The CA in {@code dir}, created (named {@code cluster}) if the directory holds none yet. */
  public static PkiDirectory open(Path dir, String cluster) throws IOException {
    Path abs = dir.toAbsolutePath();
    CertificateAuthority ca = Files.exists(abs.resolve(CertificateAuthority.CA_KEY))
        ? CertificateAuthority.load(abs)
        : CertificateAuthority.init(abs, cluster);
    return new PkiDirectory(abs, ca);
  }

  public Path dir() {
    return dir;
  }

  public Path caCertificate() {
    return dir.resolve(CertificateAuthority.CA_CERT);
  }

  /**
   * The TLS files of peer {@code name}, issued with {@code role} and {@code sans} the first time.
   * A certificate issued earlier is reused as it is: callers give one name one role.
   */
  public synchronized TlsFiles peer(Role role, String name, List<String> sans) throws IOException {
    Path cert = dir.resolve(name + ".crt");
    Path key = dir.resolve(name + ".key");
    if (!Files.exists(cert) || !Files.exists(key)) {
      ca.issue(role, name, sans, CertificateAuthority.DEFAULT_VALIDITY, dir);
    }
    TlsFiles files = TlsFiles.of(caCertificate(), cert, key);
    if (files.identity().role() != role) {
      throw new IOException(cert + " was issued for role " + files.identity().role().label() + ", not " + role.label());
    }
    return files;
  }

  /** The daemon options that point a master or agent at {@code files}: --tls-ca, --tls-cert, --tls-key. */
  public static List<String> daemonFlags(TlsFiles files) {
    return List.of("--" + RoamKeys.TLS_CA.flag(), files.ca().toString(), "--" + RoamKeys.TLS_CERT.flag(),
        files.cert().toString(), "--" + RoamKeys.TLS_KEY.flag(), files.key().toString());
  }
}
