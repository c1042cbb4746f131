package io.roam.master.tasks;

import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.master.inventory.ClusterStore.Versioned;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Tasks in ZooKeeper, under /roam/tasks. Each change after the creation is a compare-and-set on the
 * node's version, so two masters that both believe they lead (one about to learn it does not)
 * cannot overwrite each other's word: the second write fails and is read again.
 *
 * <p>Thread-safety: safe for concurrent use (ZooKeeper orders the writes).
 */
public final class TaskStore {
  /** How many finished tasks are kept; the oldest beyond it are deleted when a task is created. */
  static final int KEEP_FINISHED = 100;
  private final CuratorFramework zk;

  public TaskStore(CuratorFramework zk) {
    this.zk = zk;
  }

  private static String path(String id) {
    if (!id.matches("[a-z0-9-]{1,64}")) {
      throw new IllegalArgumentException("'" + id + "' is not a task id (see roamctl task ls)");
    }
    return ZkPaths.TASKS + "/" + id;
  }

  public void create(TaskRecord t) throws Exception {
    zk.create().creatingParentsIfNeeded().forPath(path(t.id()), Json.write(t));
    trim();
  }

  public Optional<Versioned<TaskRecord>> get(String id) throws Exception {
    Stat stat = new Stat();
    try {
      byte[] data = zk.getData().storingStatIn(stat).forPath(path(id));
      return Optional.of(new Versioned<>(Json.read(data, TaskRecord.class), stat.getVersion()));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }

  /** Every task, oldest first. */
  public List<Versioned<TaskRecord>> list() throws Exception {
    List<Versioned<TaskRecord>> out = new ArrayList<>();
    List<String> ids;
    try {
      ids = zk.getChildren().forPath(ZkPaths.TASKS);
    } catch (KeeperException.NoNodeException e) {
      return out;
    }
    for (String id : ids) {
      get(id).ifPresent(out::add);
    }
    out.sort(Comparator.comparingLong(v -> v.value().createdMs()));
    return out;
  }

  /** Writes {@code next} if the task is still at {@code version}; false if someone changed it meanwhile. */
  public boolean compareAndSet(String id, int version, TaskRecord next) throws Exception {
    try {
      zk.setData().withVersion(version).forPath(path(id), Json.write(next));
      return true;
    } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
      return false;
    }
  }

  private void trim() throws Exception {
    List<Versioned<TaskRecord>> finished = list().stream().filter(v -> v.value().state().isFinal()).toList();
    for (int i = 0; i < finished.size() - KEEP_FINISHED; i++) {
      try {
        zk.delete().withVersion(finished.get(i).version()).forPath(path(finished.get(i).value().id()));
      } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
        // trimmed or changed by another master
      }
    }
  }
}
