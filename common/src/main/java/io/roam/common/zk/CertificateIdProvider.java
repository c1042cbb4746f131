package io.roam.common.zk;

import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.server.auth.ServerAuthenticationProvider;

/**
 * ZooKeeper server side: an ACL scheme whose client ids come only from the client's certificate
 * ({@link RoamZkAuthenticationProvider} adds them after the TLS handshake), never from a client's
 * addAuth. Subclasses say what an ACL expression of their scheme means. Stateless and thread-safe.
 */
abstract class CertificateIdProvider extends ServerAuthenticationProvider {
  @Override
  public final KeeperException.Code handleAuthentication(ServerObjs serverObjs, byte[] authData) {
    return KeeperException.Code.AUTHFAILED;
  }

  @Override
  public final boolean isAuthenticated() {
    return true;
  }
}
