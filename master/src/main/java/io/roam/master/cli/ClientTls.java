package io.roam.master.cli;

import io.roam.common.security.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Which certificate roamctl presents to the masters. Each of the three files comes from its flag
 * (--tls-ca, --tls-cert, --tls-key: the daemons' flags), else its environment variable (ROAM_TLS_CA, ROAM_TLS_CERT, ROAM_TLS_KEY,
 * the names the daemons read for tls.ca, tls.cert and tls.key), else the user's directory
 * {@code ~/.roam/}: {@code ca.crt}, {@code user.crt}, {@code user.key}.
 *
 * <p>Stateless.
 */
final class ClientTls {
  static final String DEFAULT_DIR = ".roam";
  static final String DEFAULT_CERT = "user.crt";
  static final String DEFAULT_KEY = "user.key";

  private ClientTls() {}

  /** The checked files; an IllegalArgumentException with one line saying what is missing and how to fix it. */
  static TlsFiles resolve(String ca, String cert, String key, Map<String, String> env) {
    Path home = Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), DEFAULT_DIR);
    Path caFile = pick(ca, env.get("ROAM_TLS_CA"), home.resolve("ca.crt"));
    Path certFile = pick(cert, env.get("ROAM_TLS_CERT"), home.resolve(DEFAULT_CERT));
    Path keyFile = pick(key, env.get("ROAM_TLS_KEY"), home.resolve(DEFAULT_KEY));
    try {
      return TlsFiles.of(caFile, certFile, keyFile);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage() + " (roamctl needs a user certificate: --tls-ca/--tls-cert/--tls-key,"
          + " $ROAM_TLS_CA/$ROAM_TLS_CERT/$ROAM_TLS_KEY, or ~/.roam/ca.crt, user.crt and user.key)");
    }
  }

  private static Path pick(String flag, String envValue, Path fallback) {
    if (flag != null && !flag.isBlank()) {
      return Path.of(flag);
    }
    if (envValue != null && !envValue.isBlank()) {
      return Path.of(envValue);
    }
    return fallback;
  }
}
