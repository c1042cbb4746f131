package io.roam.common.zk;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.roam.common.ZkPaths;
import org.apache.zookeeper.server.DataNode;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * ZooKeeper server side, next to {@link RoamZkAuthenticationProvider}: ACL entries of scheme
 * {@value #SCHEME} let an agent write a VM's node only while the VM's owner record names that
 * agent's host. Plain ACLs are fixed when a node is created, but a VM's owner changes with every
 * migration and failover, and ZooKeeper cannot change a node's data and its ACL in one step; so the
 * ACL names the rule and this provider reads the owner record when ZooKeeper checks it.
 *
 * <p>An ACL id is the path the permission is for ({@code /roam/vms/V/owner},
 * {@code /roam/vms/V/endpoint}). It matches when ZooKeeper checks exactly that path (for CREATE and
 * DELETE: the child's path) and the client is {@code agent:H} with {@code /roam/vms/V/owner}
 * naming host H. So the owner's agent moves ownership on (a migration's switchover) and publishes
 * or withdraws the VM's endpoint, and no other agent can do either. Masters are not held to it (they
 * have every permission by their own ACL entry).
 *
 * <p>The record read is the server's applied state: a write another client has in flight is not
 * yet seen. That can only refuse a write (the owner's record still names the previous host), never
 * allow one that ownership would refuse, and every agent write of these nodes is a compare-and-set
 * that the agent already treats as "no clear answer, read back". Stateless and thread-safe.
 */
public class RoamZkOwnerProvider extends CertificateIdProvider {
  public static final String SCHEME = "roamowner";
  /** Jackson, which ZooKeeper's own distribution carries: an ensemble needs only roam-common.jar added. */
  private static final ObjectMapper RECORDS = new ObjectMapper();

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public boolean matches(ServerObjs serverObjs, MatchValues matchValues) {
    String path = matchValues.getPath();
    if (path == null || !path.equals(matchValues.getAclExpr())) {
      return false;
    }
    String client = agentName(matchValues.getId());
    String vm = vmOf(path);
    if (client == null || vm == null) {
      return false;
    }
    String owner = ownerHost(serverObjs.getZks(), ZkPaths.VMS + "/" + vm + "/owner");
    return client.equals(owner);
  }

  /** {@code NAME} of an {@code agent:NAME} id, else null (masters have their own entry). */
  static String agentName(String id) {
    return id != null && id.startsWith("agent:") && id.length() > "agent:".length() ? id.substring("agent:".length())
        : null;
  }

  /** {@code V} of {@code /roam/vms/V/X}, else null. */
  static String vmOf(String path) {
    String prefix = ZkPaths.VMS + "/";
    if (!path.startsWith(prefix)) {
      return null;
    }
    String[] rest = path.substring(prefix.length()).split("/", -1);
    return rest.length == 2 && !rest[0].isEmpty() && !rest[1].isEmpty() ? rest[0] : null;
  }

  /** The host the owner record names, or null when there is none or it cannot be read. */
  static String ownerHost(byte[] data) {
    if (data == null || data.length == 0) {
      return null;
    }
    try {
      String host = RECORDS.readTree(data).path("host").asText("");
      return host.isEmpty() ? null : host;
    } catch (java.io.IOException | RuntimeException e) {
      return null; // not a record Roam wrote: nobody may write as its owner
    }
  }

  private static String ownerHost(ZooKeeperServer zks, String ownerPath) {
    if (zks == null || zks.getZKDatabase() == null) {
      return null;
    }
    DataNode node = zks.getZKDatabase().getNode(ownerPath);
    if (node == null) {
      return null;
    }
    byte[] data;
    synchronized (node) { // DataNode's data is guarded by the node itself
      data = node.getData();
    }
    return ownerHost(data);
  }

  @Override
  public boolean isValid(String aclExpr) {
    return vmOf(aclExpr) != null;
  }
}
