package io.roam.common.zk;

import io.roam.common.ZkPaths;
import java.util.HashSet;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts right the ACL of every node under {@code /roam} that differs from what {@link ZkAcls} gives
 * its path: nodes made before Roam had ACLs (open to anyone) or under an older rule keep their ACL
 * for ever otherwise, since ZooKeeper sets ACLs only when a node is created. The leader master runs
 * it once when it takes office. Each change is a compare-and-set on the ACL's version, so a node
 * changed meanwhile is left to the next leader. Events are left alone: there are many, they are
 * made by the same rule, and they expire. Not thread-safe; one call at a time.
 */
public final class ZkAclRepair {
  private static final Logger LOG = LoggerFactory.getLogger(ZkAclRepair.class);

  private ZkAclRepair() {}

  /** @return how many nodes got a new ACL */
  public static int repair(CuratorFramework zk, ZkAcls acls) throws Exception {
    if (zk.checkExists().forPath(ZkPaths.ROOT) == null) {
      return 0;
    }
    return walk(zk, acls, ZkPaths.ROOT);
  }

  /** {@link #repair}, logging instead of throwing: a failed repair must not cost the leader its term. */
  public static void repairAndLog(CuratorFramework zk) {
    try {
      int changed = repair(zk, new ZkAcls());
      if (changed > 0) {
        LOG.warn("put right the ZooKeeper ACLs of {} nodes made by an older Roam", changed);
      }
    } catch (Exception e) {
      LOG.warn("could not check the ZooKeeper ACLs: {}", e.toString());
    }
  }

  private static int walk(CuratorFramework zk, ZkAcls acls, String path) throws Exception {
    int changed = 0;
    try {
      Stat stat = new Stat();
      List<ACL> have = zk.getACL().storingStatIn(stat).forPath(path);
      List<ACL> want = acls.getAclForPath(path);
      if (!new HashSet<>(have).equals(new HashSet<>(want))) {
        zk.setACL().withVersion(stat.getAversion()).withACL(want).forPath(path);
        changed++;
      }
      if (path.equals(ZkPaths.EVENTS)) {
        return changed;
      }
      for (String child : zk.getChildren().forPath(path)) {
        changed += walk(zk, acls, path + "/" + child);
      }
    } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
      // deleted or changed meanwhile: its writer used the current rule
    }
    return changed;
  }
}
