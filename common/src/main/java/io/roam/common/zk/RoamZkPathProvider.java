package io.roam.common.zk;


/**
 * ZooKeeper server side, next to {@link RoamZkAuthenticationProvider}: ACL entries of scheme
 * {@value #SCHEME} name the paths a daemon may create or delete under a node, so that a permission
 * on a parent can be narrowed to one child. Plain ZooKeeper ACLs cannot: CREATE and DELETE on
 * {@code /roam/hosts} would let an agent create any host's node, and DELETE on a VM's node would
 * let it delete the VM's owner record, where it must only withdraw the VM's endpoint.
 *
 * <p>An ACL id is a path pattern: {@code {self}} stands for the client's certificate name, {@code *}
 * for any one path segment ({@code /roam/hosts/{self}}, {@code /roam/vms/*\/endpoint}). It matches
 * when the path ZooKeeper checks (for CREATE and DELETE: the child's) fits the pattern. The client's
 * id in this scheme ({@code agent:NAME}) is added by {@link RoamZkAuthenticationProvider} after the
 * TLS handshake; a client cannot add one itself. Stateless and thread-safe.
 */
public class RoamZkPathProvider extends CertificateIdProvider {
  public static final String SCHEME = "roampath";

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public boolean matches(ServerObjs serverObjs, MatchValues matchValues) {
    return matches(matchValues.getPath(), matchValues.getId(), matchValues.getAclExpr());
  }

  static boolean matches(String path, String id, String pattern) {
    int colon = id.indexOf(':');
    if (path == null || colon < 0) {
      return false;
    }
    String self = id.substring(colon + 1);
    String[] want = pattern.split("/", -1);
    String[] have = path.split("/", -1);
    if (want.length != have.length) {
      return false;
    }
    for (int i = 0; i < want.length; i++) {
      boolean ok = want[i].equals("*") ? !have[i].isEmpty()
          : want[i].equals("{self}") ? have[i].equals(self) : want[i].equals(have[i]);
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean isValid(String aclExpr) {
    return aclExpr.startsWith("/");
  }
}
