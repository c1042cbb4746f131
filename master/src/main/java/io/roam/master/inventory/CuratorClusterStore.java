package io.roam.master.inventory;

import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.data.Stat;

/**
 * {@link ClusterStore} on ZooKeeper, with the layout of {@link ZkPaths}.
 *
 * <p>Every write goes through {@link #commit}: one ZooKeeper transaction (multi-op). In a store
 * bound to a term ({@link #forTerm}) the transaction starts with a check that the epoch node is
 * still at the version this master's term set it to; any newer master's {@link #nextEpoch} bumps
 * that version, so from then on every write of the old term fails as a whole.
 */
public final class CuratorClusterStore implements ClusterStore {
  /** A leader's term: its epoch and the version of the epoch node that holds it. */
  private record Term(long epoch, int epochVersion) {}

  private final CuratorFramework zk;
  private final Term term; // null: writes are not bound to a term

  public CuratorClusterStore(CuratorFramework zk) throws Exception {
    this.zk = zk;
    this.term = null;
    for (String p : List.of(ZkPaths.HOSTS, ZkPaths.VMS, ZkPaths.TASKS)) {
      try {
        zk.create().creatingParentsIfNeeded().forPath(p);
      } catch (KeeperException.NodeExistsException e) {
        // already there
      }
    }
  }

  private CuratorClusterStore(CuratorFramework zk, Term term) {
    this.zk = zk;
    this.term = term;
  }

  @Override
  public ClusterStore forTerm(long epoch) throws Exception {
    Stat stat = new Stat();
    long current;
    try {
      current = parseEpoch(zk.getData().storingStatIn(stat).forPath(ZkPaths.EPOCH));
    } catch (KeeperException.NoNodeException e) {
      throw new NotLeaderException(epoch, "no epoch has been taken");
    }
    if (current != epoch) {
      throw new NotLeaderException(epoch, "a master took epoch " + current);
    }
    // The epoch node's value changes with each of its versions, so this version is the one that
    // this term's nextEpoch wrote.
    return new CuratorClusterStore(zk, new Term(epoch, stat.getVersion()));
  }

  @Override
  public void checkTerm() throws Exception {
    if (term != null) {
      commit(List.of()); // a transaction of the term check alone
    }
  }

  @Override
  public List<HostRecord> hosts() throws Exception {
    List<HostRecord> out = new ArrayList<>();
    for (String h : zk.getChildren().forPath(ZkPaths.HOSTS)) {
      read(ZkPaths.host(h)).ifPresent(d -> out.add(Json.read(d, HostRecord.class)));
    }
    return out;
  }

  @Override
  public boolean isLive(String host) throws Exception {
    return zk.checkExists().forPath(ZkPaths.hostLive(host)) != null;
  }

  @Override
  public List<String> vmNames() throws Exception {
    List<String> names = new ArrayList<>(zk.getChildren().forPath(ZkPaths.VMS));
    names.sort(null);
    return names;
  }

  @Override
  public Optional<VmRecord> vm(String name) throws Exception {
    return read(ZkPaths.vm(name)).map(d -> Json.read(d, VmRecord.class));
  }

  @Override
  public boolean createVm(VmRecord record, OwnerRecord owner) throws Exception {
    String name = record.spec().name();
    try {
      commit(zk.transactionOp().create().forPath(ZkPaths.vm(name), Json.write(record)),
          zk.transactionOp().create().forPath(ZkPaths.vmOwner(name), Json.write(owner)));
      return true;
    } catch (KeeperException.NodeExistsException e) {
      return false;
    }
  }

  @Override
  public void updateVm(VmRecord record) throws Exception {
    commit(zk.transactionOp().setData().forPath(ZkPaths.vm(record.spec().name()), Json.write(record)));
  }

  @Override
  public Optional<Versioned<OwnerRecord>> owner(String vm) throws Exception {
    Stat stat = new Stat();
    try {
      byte[] d = zk.getData().storingStatIn(stat).forPath(ZkPaths.vmOwner(vm));
      return Optional.of(new Versioned<>(Json.read(d, OwnerRecord.class), stat.getVersion()));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }

  @Override
  public boolean compareAndSetOwner(String vm, int expectedVersion, OwnerRecord next) throws Exception {
    try {
      commit(zk.transactionOp().setData().withVersion(expectedVersion).forPath(ZkPaths.vmOwner(vm), Json.write(next)));
      return true;
    } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
      return false;
    }
  }

  @Override
  public Optional<String> endpoint(String vm) throws Exception {
    return read(ZkPaths.vmEndpoint(vm)).map(d -> new String(d, StandardCharsets.UTF_8));
  }

  @Override
  public void deleteVm(String name) throws Exception {
    while (true) {
      List<String> paths = new ArrayList<>();
      try {
        collectDepthFirst(ZkPaths.vm(name), paths);
      } catch (KeeperException.NoNodeException e) {
        return; // already gone
      }
      List<CuratorOp> ops = new ArrayList<>();
      for (String p : paths) {
        ops.add(zk.transactionOp().delete().forPath(p));
      }
      try {
        commit(ops);
        return;
      } catch (KeeperException.NoNodeException | KeeperException.NotEmptyException raced) {
        // an agent added or removed a node under the VM meanwhile: look again
      }
    }
  }

  /** The node's descendants, children before their parents, then the node itself. */
  private void collectDepthFirst(String path, List<String> out) throws Exception {
    for (String child : zk.getChildren().forPath(path)) {
      collectDepthFirst(ZKPaths.makePath(path, child), out);
    }
    out.add(path);
  }

  @Override
  public long nextEpoch() throws Exception {
    while (true) {
      Stat stat = new Stat();
      try {
        long next = parseEpoch(zk.getData().storingStatIn(stat).forPath(ZkPaths.EPOCH)) + 1;
        zk.setData().withVersion(stat.getVersion()).forPath(ZkPaths.EPOCH, Long.toString(next).getBytes(StandardCharsets.UTF_8));
        return next;
      } catch (KeeperException.NoNodeException e) {
        try {
          zk.create().creatingParentsIfNeeded().forPath(ZkPaths.EPOCH, "1".getBytes(StandardCharsets.UTF_8));
          return 1;
        } catch (KeeperException.NodeExistsException raced) {
          // another master created it; read again
        }
      } catch (KeeperException.BadVersionException raced) {
        // another master took an epoch at the same time; read again
      }
    }
  }

  private static long parseEpoch(byte[] d) {
    return Long.parseLong(new String(d, StandardCharsets.UTF_8));
  }

  @Override
  public HostControl hostControl(String host) throws Exception {
    return read(ZkPaths.hostControl(host)).map(d -> Json.read(d, HostControl.class)).orElse(HostControl.CONNECTED);
  }

  @Override
  public void setHostControl(String host, HostControl control) throws Exception {
    upsert(ZkPaths.hostControl(host), Json.write(control));
  }

  @Override
  public HostTransition updateHostControl(String host, Function<HostControl, HostTransition> change)
      throws Exception {
    String path = ZkPaths.hostControl(host);
    while (true) {
      Stat stat = new Stat();
      Optional<byte[]> data = read(path, stat);
      HostTransition t = change.apply(data.map(d -> Json.read(d, HostControl.class)).orElse(HostControl.CONNECTED));
      if (!t.changes()) {
        return t;
      }
      try {
        if (data.isPresent()) {
          commit(zk.transactionOp().setData().withVersion(stat.getVersion()).forPath(path, Json.write(t.after())));
        } else {
          if (zk.checkExists().forPath(ZkPaths.host(host)) == null) {
            throw new IllegalArgumentException("no host named " + host + " is registered");
          }
          commit(zk.transactionOp().create().forPath(path, Json.write(t.after())));
        }
        return t;
      } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
          | KeeperException.NoNodeException raced) {
        // another writer changed the record since we read it: apply the change to what it holds now
      }
    }
  }

  @Override
  public Optional<String> powerDriver(String host) throws Exception {
    return read(ZkPaths.hostPower(host)).map(d -> new String(d, java.nio.charset.StandardCharsets.UTF_8));
  }

  @Override
  public void setPowerDriver(String host, String driverName) throws Exception {
    if (driverName == null) {
      try {
        commit(zk.transactionOp().delete().forPath(ZkPaths.hostPower(host)));
      } catch (KeeperException.NoNodeException e) {
        // none set
      }
    } else {
      upsert(ZkPaths.hostPower(host), driverName.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  @Override
  public Optional<String> hostState(String host) throws Exception {
    return read(ZkPaths.hostState(host)).map(d -> new String(d, StandardCharsets.UTF_8));
  }

  @Override
  public void setHostState(String host, String state) throws Exception {
    upsert(ZkPaths.hostState(host), state.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public List<RuleRecord> rules() throws Exception {
    return read(ZkPaths.RULES).map(d -> List.of(Json.read(d, RuleRecord[].class))).orElse(List.of());
  }

  @Override
  public void setRules(List<RuleRecord> rules) throws Exception {
    upsert(ZkPaths.RULES, Json.write(rules));
  }

  @Override
  public SchedulerOverrides schedulerOverrides() throws Exception {
    return read(ZkPaths.SCHEDULER).map(d -> Json.read(d, SchedulerOverrides.class)).orElse(SchedulerOverrides.NONE);
  }

  @Override
  public void setSchedulerOverrides(SchedulerOverrides overrides) throws Exception {
    upsert(ZkPaths.SCHEDULER, Json.write(overrides));
  }

  @Override
  public List<String> taskIds() throws Exception {
    try {
      return zk.getChildren().forPath(ZkPaths.TASKS);
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    }
  }

  @Override
  public Optional<Versioned<byte[]>> task(String id) throws Exception {
    Stat stat = new Stat();
    return read(taskPath(id), stat).map(d -> new Versioned<>(d, stat.getVersion()));
  }

  @Override
  public void createTask(String id, byte[] record) throws Exception {
    commit(zk.transactionOp().create().forPath(taskPath(id), record));
  }

  @Override
  public boolean compareAndSetTask(String id, int expectedVersion, byte[] record) throws Exception {
    try {
      commit(zk.transactionOp().setData().withVersion(expectedVersion).forPath(taskPath(id), record));
      return true;
    } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
      return false;
    }
  }

  @Override
  public void deleteTask(String id, int expectedVersion) throws Exception {
    try {
      commit(zk.transactionOp().delete().withVersion(expectedVersion).forPath(taskPath(id)));
    } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
      // changed or deleted by someone else: theirs stands
    }
  }

  private static String taskPath(String id) {
    if (!id.matches("[a-z0-9-]{1,64}")) {
      throw new IllegalArgumentException("'" + id + "' is not a task id (see roamctl task ls)");
    }
    return ZkPaths.TASKS + "/" + id;
  }

  /** Sets the node's data, creating it (and, outside the transaction, its missing parents) if absent. */
  private void upsert(String path, byte[] data) throws Exception {
    while (true) {
      try {
        if (zk.checkExists().forPath(path) != null) {
          commit(zk.transactionOp().setData().forPath(path, data));
        } else {
          String parent = ZKPaths.getPathAndNode(path).getPath();
          if (zk.checkExists().forPath(parent) == null) {
            zk.create().creatingParentsIfNeeded().forPath(parent); // structure only, as before transactions
          }
          commit(zk.transactionOp().create().forPath(path, data));
        }
        return;
      } catch (KeeperException.NodeExistsException | KeeperException.NoNodeException raced) {
        // created or deleted by someone else between the check and the write: look again
      }
    }
  }

  private void commit(CuratorOp... ops) throws Exception {
    commit(List.of(ops));
  }

  /**
   * Applies the operations as one transaction, preceded by the term check when this store is bound
   * to a term. A failed operation throws its own KeeperException (BadVersion, NoNode, ...); a
   * failed term check throws {@link NotLeaderException}.
   */
  private void commit(List<CuratorOp> ops) throws Exception {
    List<CuratorOp> all = new ArrayList<>(ops.size() + 1);
    if (term != null) {
      all.add(zk.transactionOp().check().withVersion(term.epochVersion()).forPath(ZkPaths.EPOCH));
    }
    all.addAll(ops);
    try {
      zk.transaction().forOperations(all);
    } catch (KeeperException e) {
      if (term != null && termCheckFailed(e)) {
        throw new NotLeaderException(term.epoch(), "a newer master has taken an epoch since");
      }
      throw e;
    }
  }

  private boolean termCheckFailed(KeeperException e) throws Exception {
    List<OpResult> results = e.getResults();
    if (results != null && !results.isEmpty()) {
      return results.get(0) instanceof OpResult.ErrorResult r && r.getErr() != KeeperException.Code.OK.intValue();
    }
    Stat now = zk.checkExists().forPath(ZkPaths.EPOCH);
    return now == null || now.getVersion() != term.epochVersion();
  }

  private Optional<byte[]> read(String path) throws Exception {
    return read(path, new Stat());
  }

  private Optional<byte[]> read(String path, Stat stat) throws Exception {
    try {
      return Optional.of(zk.getData().storingStatIn(stat).forPath(path));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }
}
