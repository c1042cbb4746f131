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
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/** {@link ClusterStore} on ZooKeeper, with the layout of {@link ZkPaths}. */
public final class CuratorClusterStore implements ClusterStore {
  private final CuratorFramework zk;

  public CuratorClusterStore(CuratorFramework zk) throws Exception {
    this.zk = zk;
    for (String p : List.of(ZkPaths.HOSTS, ZkPaths.VMS)) {
      try {
        zk.create().creatingParentsIfNeeded().forPath(p);
      } catch (KeeperException.NodeExistsException e) {
        // already there
      }
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
      zk.transaction().forOperations(
          zk.transactionOp().create().forPath(ZkPaths.vm(name), Json.write(record)),
          zk.transactionOp().create().forPath(ZkPaths.vmOwner(name), Json.write(owner)));
      return true;
    } catch (KeeperException.NodeExistsException e) {
      return false;
    }
  }

  @Override
  public void updateVm(VmRecord record) throws Exception {
    zk.setData().forPath(ZkPaths.vm(record.spec().name()), Json.write(record));
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
      zk.setData().withVersion(expectedVersion).forPath(ZkPaths.vmOwner(vm), Json.write(next));
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
    try {
      zk.delete().deletingChildrenIfNeeded().forPath(ZkPaths.vm(name));
    } catch (KeeperException.NoNodeException e) {
      // already gone
    }
  }

  @Override
  public long nextEpoch() throws Exception {
    while (true) {
      Stat stat = new Stat();
      try {
        byte[] d = zk.getData().storingStatIn(stat).forPath(ZkPaths.EPOCH);
        long next = Long.parseLong(new String(d, StandardCharsets.UTF_8)) + 1;
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

  @Override
  public HostControl hostControl(String host) throws Exception {
    return read(ZkPaths.hostControl(host)).map(d -> Json.read(d, HostControl.class)).orElse(HostControl.CONNECTED);
  }

  @Override
  public void setHostControl(String host, HostControl control) throws Exception {
    write(ZkPaths.hostControl(host), Json.write(control));
  }

  @Override
  public Optional<PowerSpec> powerSpec(String host) throws Exception {
    return read(ZkPaths.hostPower(host)).map(d -> Json.read(d, PowerSpec.class));
  }

  @Override
  public void setPowerSpec(String host, PowerSpec spec) throws Exception {
    if (spec == null) {
      try {
        zk.delete().forPath(ZkPaths.hostPower(host));
      } catch (KeeperException.NoNodeException e) {
        // none set
      }
    } else {
      write(ZkPaths.hostPower(host), Json.write(spec));
    }
  }

  @Override
  public Optional<String> hostState(String host) throws Exception {
    return read(ZkPaths.hostState(host)).map(d -> new String(d, StandardCharsets.UTF_8));
  }

  @Override
  public void setHostState(String host, String state) throws Exception {
    write(ZkPaths.hostState(host), state.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public List<RuleRecord> rules() throws Exception {
    return read(ZkPaths.RULES).map(d -> List.of(Json.read(d, RuleRecord[].class))).orElse(List.of());
  }

  @Override
  public void setRules(List<RuleRecord> rules) throws Exception {
    write(ZkPaths.RULES, Json.write(rules));
  }

  @Override
  public SchedulerOverrides schedulerOverrides() throws Exception {
    return read(ZkPaths.SCHEDULER).map(d -> Json.read(d, SchedulerOverrides.class)).orElse(SchedulerOverrides.NONE);
  }

  @Override
  public void setSchedulerOverrides(SchedulerOverrides overrides) throws Exception {
    write(ZkPaths.SCHEDULER, Json.write(overrides));
  }

  private void write(String path, byte[] data) throws Exception {
    zk.create().orSetData().creatingParentsIfNeeded().forPath(path, data);
  }

  private Optional<byte[]> read(String path) throws Exception {
    try {
      return Optional.of(zk.getData().forPath(path));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }
}
