package io.roam.common.security;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The name and role a peer proved in a mutual-TLS handshake: the common name and organizational
 * unit of its certificate's subject, as {@link CertificateAuthority#issue} writes them. Only
 * meaningful for a certificate that the cluster's CA verified (the TLS layer did that before this
 * is read).
 */
public record PeerIdentity(String name, Role role) {
  @Override
  public String toString() {
    return role.label() + " " + name;
  }

  /** The identity in a certificate, or empty if its subject is not one Roam's CA issues. */
  public static Optional<PeerIdentity> of(X509Certificate cert) {
    try {
      String cn = null;
      String ou = null;
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          cn = rdn.getValue().toString();
        } else if (rdn.getType().equalsIgnoreCase("OU")) {
          ou = rdn.getValue().toString();
        }
      }
      if (cn == null || ou == null) {
        return Optional.empty();
      }
      return Optional.of(new PeerIdentity(cn, Role.parse(ou)));
    } catch (InvalidNameException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The verified peer of a TLS session, or empty if it presented no certificate Roam understands. */
  public static Optional<PeerIdentity> of(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x ? of(x) : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }
}
