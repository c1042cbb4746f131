package io.roam.common.zk;

import io.roam.common.ZkPaths;
import io.roam.common.security.PeerIdentity;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;

/**
 * Roam's ZooKeeper ACLs, chosen by path when a node is created (Curator's {@link ACLProvider}; every
 * master and agent client uses it, so a node gets the same ACL whoever creates it). Masters may do
 * everything; an agent writes only its own host's nodes and the owner record and endpoint of the
 * VMs its host owns, and appends events; nobody else reads anything. Ids are those of
 * {@link RoamZkAuthenticationProvider}, {@link RoamZkPathProvider} and {@link RoamZkOwnerProvider}.
 *
 * <pre>
 * path                          masters  agents                       the host's own agent
 * /roam/hosts                   all      read, create own node only   -
 * /roam/hosts/H                 all      read                         read, write, create, delete children
 * /roam/hosts/H/live            all      read                         read, write
 * /roam/hosts/H/power           all      -                            -
 * /roam/hosts/H/control, state  all      read                         read
 * /roam/vms/V                   all      read                         (the VM's owner: create/delete endpoint)
 * /roam/vms/V/owner, endpoint   all      read                         (the VM's owner: write)
 * /roam/events                  all      read, create                 -
 * /roam/events/e-N              all      -                            -
 * anything else under /roam     all      read                         -
 * </pre>
 *
 * <p>"The VM's owner" is the agent of the host that {@code /roam/vms/V/owner} names at the moment
 * of the write ({@link RoamZkOwnerProvider}): the source of a migration moves ownership on at
 * switchover, and only the VM's owner publishes where it listens. A destination that must fence a
 * source's compare-and-set asks a master to (OwnershipService). Agents cannot create or delete
 * owner records. Thread-safe (stateless).
 */
public final class ZkAcls implements ACLProvider {
  private static final int READ = Perms.READ;
  private static final Id MASTERS = new Id(RoamZkAuthenticationProvider.SCHEME, "master");
  private static final Id AGENTS = new Id(RoamZkAuthenticationProvider.SCHEME, "agent");

  /** The id a daemon authenticates as: {@code master:NAME} or {@code agent:NAME}. */
  public static String id(PeerIdentity peer) {
    return peer.role().label() + ":" + peer.name();
  }

  @Override
  public List<ACL> getDefaultAcl() {
    return acl(new ACL(READ, AGENTS));
  }

  @Override
  public List<ACL> getAclForPath(String path) {
    if (path == null || !(path.equals(ZkPaths.ROOT) || path.startsWith(ZkPaths.ROOT + "/"))) {
      return getDefaultAcl();
    }
    String[] p = path.substring(1).split("/"); // "roam", ...
    if (p.length >= 2 && p[1].equals("hosts")) {
      if (p.length == 2) {
        return acl(new ACL(READ, AGENTS), pathRule(Perms.CREATE, ZkPaths.HOSTS + "/{self}"));
      }
      Id own = new Id(RoamZkAuthenticationProvider.SCHEME, "agent:" + p[2]);
      if (p.length == 3) {
        return acl(new ACL(READ, AGENTS), new ACL(READ | Perms.WRITE | Perms.CREATE | Perms.DELETE, own));
      }
      if (p.length == 4 && p[3].equals("live")) {
        return acl(new ACL(READ, AGENTS), new ACL(READ | Perms.WRITE, own));
      }
      if (p.length == 4 && p[3].equals("power")) {
        return acl(); // may name a password file or a command: masters only, even for reading
      }
      return acl(new ACL(READ, AGENTS));
    }
    if (p.length >= 2 && p[1].equals("vms")) {
      if (p.length == 3) {
        return acl(new ACL(READ, AGENTS), ownerRule(Perms.CREATE | Perms.DELETE, ZkPaths.VMS + "/" + p[2] + "/endpoint"));
      }
      if (p.length == 4 && (p[3].equals("owner") || p[3].equals("endpoint"))) {
        return acl(new ACL(READ, AGENTS), ownerRule(Perms.WRITE, path));
      }
      return acl(new ACL(READ, AGENTS));
    }
    if (p.length >= 2 && p[1].equals("events")) {
      return p.length == 2 ? acl(new ACL(READ | Perms.CREATE, AGENTS)) : acl();
    }
    return getDefaultAcl();
  }

  private static ACL pathRule(int perms, String pattern) {
    return new ACL(perms, new Id(RoamZkPathProvider.SCHEME, pattern));
  }

  private static ACL ownerRule(int perms, String path) {
    return new ACL(perms, new Id(RoamZkOwnerProvider.SCHEME, path));
  }

  /** Masters may do everything, then {@code rest}. */
  private static List<ACL> acl(ACL... rest) {
    List<ACL> out = new ArrayList<>(rest.length + 1);
    out.add(new ACL(Perms.ALL, MASTERS));
    out.addAll(List.of(rest));
    return java.util.Collections.unmodifiableList(out); // not List.copyOf: ZooKeeper asks contains(null)
  }
}
