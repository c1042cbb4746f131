package io.roam.common.zk;

import io.roam.common.security.PeerIdentity;
import io.roam.common.security.Role;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.common.X509Exception;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.ServerCnxn;
import org.apache.zookeeper.server.auth.X509AuthenticationProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ZooKeeper server side (the master's embedded server, or a jar on an ensemble's class path):
 * authenticates a TLS client as the Roam daemon its certificate names, for ACLs of scheme
 * {@value #SCHEME}.
 *
 * <p>A client becomes the id {@code master:NAME} or {@code agent:NAME} (role and common name of the
 * certificate's subject, as {@link io.roam.common.security.CertificateAuthority} writes them). An
 * ACL names either one daemon ({@code agent:host1}) or a whole role ({@code master}, {@code agent}):
 * masters come and go, so an ACL per master would need rewriting on every new master, while the role
 * is proven by the same certificate. User certificates (admin, operator, viewer) and certificates
 * without a Roam subject are refused: only daemons use ZooKeeper.
 *
 * <p>It extends ZooKeeper's X509 provider because ZooKeeper's Netty server takes the key and trust
 * managers of its TLS port from the provider named by {@code ssl.authProvider} and calls it after
 * each handshake. The chain is verified again here, against the same trust manager. Thread-safe:
 * no state beyond the immutable managers built by the constructor.
 */
public class RoamZkAuthenticationProvider extends X509AuthenticationProvider {
  private static final Logger LOG = LoggerFactory.getLogger(RoamZkAuthenticationProvider.class);
  public static final String SCHEME = "roam";

  /** Reads the key and trust stores from ZooKeeper's {@code zookeeper.ssl.*} settings, as its own provider does. */
  public RoamZkAuthenticationProvider() throws X509Exception {
    super();
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public KeeperException.Code handleAuthentication(ServerCnxn cnxn, byte[] authData) {
    Optional<String> id = idOf(cnxn.getClientCertificateChain());
    if (id.isEmpty()) {
      return KeeperException.Code.AUTHFAILED;
    }
    cnxn.addAuthInfo(new Id(SCHEME, id.get()));
    cnxn.addAuthInfo(new Id(RoamZkPathProvider.SCHEME, id.get())); // for the child-path rules of ZkAcls
    cnxn.addAuthInfo(new Id(RoamZkOwnerProvider.SCHEME, id.get())); // for the owner-only rules of ZkAcls
    LOG.info("ZooKeeper client authenticated as {}", id.get());
    return KeeperException.Code.OK;
  }

  private Optional<String> idOf(Certificate[] chain) {
    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
      LOG.warn("ZooKeeper client refused: no client certificate");
      return Optional.empty();
    }
    X509Certificate[] x509 = new X509Certificate[chain.length];
    for (int i = 0; i < chain.length; i++) {
      if (!(chain[i] instanceof X509Certificate c)) {
        return Optional.empty();
      }
      x509[i] = c;
    }
    try {
      getTrustManager().checkClientTrusted(x509, x509[0].getPublicKey().getAlgorithm());
    } catch (CertificateException | X509Exception e) {
      LOG.warn("ZooKeeper client refused: certificate {} not trusted: {}", x509[0].getSubjectX500Principal(),
          e.getMessage());
      return Optional.empty();
    }
    Optional<PeerIdentity> peer = PeerIdentity.of(x509[0]);
    if (peer.isEmpty() || !(peer.get().role() == Role.MASTER || peer.get().role() == Role.AGENT)) {
      LOG.warn("ZooKeeper client refused: {} is not a Roam master or agent certificate",
          x509[0].getSubjectX500Principal());
      return Optional.empty();
    }
    return Optional.of(ZkAcls.id(peer.get()));
  }

  /** An id ({@code agent:host1}) matches an ACL naming it, or naming its role ({@code agent}). */
  @Override
  public boolean matches(String id, String aclExpr) {
    int colon = id.indexOf(':');
    return id.equals(aclExpr) || (colon > 0 && id.substring(0, colon).equals(aclExpr));
  }

  /** {@code master}, {@code agent}, or one of them with a name after a colon. */
  @Override
  public boolean isValid(String aclExpr) {
    int colon = aclExpr.indexOf(':');
    String role = colon < 0 ? aclExpr : aclExpr.substring(0, colon);
    return (role.equals("master") || role.equals("agent")) && (colon < 0 || colon < aclExpr.length() - 1);
  }
}
