package io.roam.common.security;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.roam.common.config.Config;
import io.roam.common.config.ConfigException;
import io.roam.common.config.RoamKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * One process's TLS material: the CA certificate(s) it trusts, its own certificate and its private
 * key, as PEM files. Checked when loaded, so that a daemon with a wrong file stops at start-up with
 * one line rather than failing every handshake later: the files exist, the key is 0600, the
 * certificate was issued by a trusted CA, is valid now and names a role.
 *
 * <p>Immutable and thread-safe. The credentials it builds read the files again each time, so a
 * daemon restarted after {@code roamctl pki issue} replaced them uses the new ones.
 */
public final class TlsFiles {
  private final Path ca;
  private final Path cert;
  private final Path key;
  private final PeerIdentity identity;

  private TlsFiles(Path ca, Path cert, Path key, PeerIdentity identity) {
    this.ca = ca;
    this.cert = cert;
    this.key = key;
    this.identity = identity;
  }

  /** The files named by tls.ca, tls.cert and tls.key; a missing or bad one is a {@link ConfigException}. */
  public static TlsFiles fromConfig(Config config) {
    String ca = config.get(RoamKeys.TLS_CA);
    String cert = config.get(RoamKeys.TLS_CERT);
    String key = config.get(RoamKeys.TLS_KEY);
    if (ca.isEmpty() || cert.isEmpty() || key.isEmpty()) {
      throw new ConfigException("tls.ca, tls.cert and tls.key must name this process's CA certificate, certificate"
          + " and key (every channel is mutual TLS; make them with `roamctl pki init DIR` and `roamctl pki issue`)");
    }
    try {
      return of(Path.of(ca), Path.of(cert), Path.of(key));
    } catch (IOException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /** Loads and checks the three files. */
  public static TlsFiles of(Path ca, Path cert, Path key) throws IOException {
    for (Path p : List.of(ca, cert, key)) {
      if (!Files.isReadable(p)) {
        throw new IOException("cannot read " + p);
      }
    }
    FileModes.requireOwnerOnly(key);
    List<X509Certificate> trusted = Pem.readCertificates(ca);
    X509Certificate own = Pem.readCertificates(cert).get(0);
    Pem.readPrivateKey(key);
    boolean verified = false;
    for (X509Certificate c : trusted) {
      try {
        own.verify(c.getPublicKey());
        verified = true;
        break;
      } catch (GeneralSecurityException e) {
        // not this CA; try the next (a bundle holds old and new CA during a rotation)
      }
    }
    if (!verified) {
      throw new IOException(cert + " was not issued by the CA in " + ca);
    }
    try {
      own.checkValidity();
    } catch (GeneralSecurityException e) {
      throw new IOException(cert + " is not valid now (" + own.getNotBefore() + " to " + own.getNotAfter()
          + "); issue a new one with `roamctl pki issue`");
    }
    PeerIdentity id = PeerIdentity.of(own)
        .orElseThrow(() -> new IOException(cert + " names no Roam role (issue it with `roamctl pki issue`)"));
    return new TlsFiles(ca, cert, key, id);
  }

  public Path ca() {
    return ca;
  }

  public Path cert() {
    return cert;
  }

  public Path key() {
    return key;
  }

  /** Who this process is, as its own certificate says. */
  public PeerIdentity identity() {
    return identity;
  }

  /** Server side of gRPC: presents our certificate, requires and verifies the client's. */
  public ServerCredentials serverCredentials() throws IOException {
    return TlsServerCredentials.newBuilder().keyManager(cert.toFile(), key.toFile()).trustManager(ca.toFile())
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
  }

  /** Client side of gRPC: verifies the server's certificate and host name, presents ours. */
  public ChannelCredentials channelCredentials() throws IOException {
    return TlsChannelCredentials.newBuilder().keyManager(cert.toFile(), key.toFile()).trustManager(ca.toFile()).build();
  }
}
