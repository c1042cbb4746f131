package io.roam.master.inventory;

import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.common.model.VmSpec;
import io.roam.master.events.EventLog;
import io.roam.master.zk.EmbeddedZooKeeper;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;

/**
 * A real embedded ZooKeeper with the inventory and event log on it, and helpers that play the
 * agents' part (host records, live nodes, owners), for tests of the leader's loops.
 */
public final class ZkFixture implements AutoCloseable {
  public final EmbeddedZooKeeper server;
  public final CuratorFramework zk;
  public final CuratorClusterStore store;
  public final EventLog events;
  public final MutableClock clock = new MutableClock(1_000_000);

  public ZkFixture(Path dir) throws Exception {
    server = io.roam.master.zk.TestPki.get().server(dir);
    zk = io.roam.master.zk.TestPki.get().client("127.0.0.1:" + server.port(), new RetryOneTime(100));
    zk.start();
    zk.blockUntilConnected(10, TimeUnit.SECONDS);
    store = new CuratorClusterStore(zk);
    events = new EventLog(zk);
  }

  /** Registers a host as its agent would, live unless {@code live} is false. */
  public void host(String name, int cores, long memory, Path datastore, boolean live) throws Exception {
    host(name, cores, memory, datastore, live, false);
  }

  /** As above; {@code vmAddresses}: its agent can manage VM addresses. */
  public void host(String name, int cores, long memory, Path datastore, boolean live, boolean vmAddresses)
      throws Exception {
    zk.create().orSetData().creatingParentsIfNeeded().forPath(ZkPaths.host(name),
        Json.write(new HostRecord(name, "127.0.0.1", 1, cores, memory, datastore == null ? "" : datastore.toString(),
            vmAddresses)));
    live(name, live);
  }

  public void live(String host, boolean live) throws Exception {
    boolean exists = zk.checkExists().forPath(ZkPaths.hostLive(host)) != null;
    if (live && !exists) {
      zk.create().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.hostLive(host));
    } else if (!live && exists) {
      zk.delete().forPath(ZkPaths.hostLive(host));
    }
  }

  public void vm(String name, String host, long memory, boolean running) throws Exception {
    store.createVm(new VmRecord(new VmSpec(name, "cpu", memory, Map.of(), ""), running
        ? VmRecord.DesiredState.RUNNING : VmRecord.DesiredState.STOPPED), new OwnerRecord(host, 1));
  }

  public void moveOwner(String vm, String host) throws Exception {
    var o = store.owner(vm).orElseThrow();
    store.compareAndSetOwner(vm, o.version(), new OwnerRecord(host, o.value().epoch() + 1));
  }

  /** Kinds of the events recorded so far, oldest first, as "kind host" (or "kind vm"). */
  public List<String> eventKinds() throws Exception {
    return events.list(-1, "", "", 10_000).stream()
        .map(e -> e.event().kind() + " " + (e.event().vm().isEmpty() ? e.event().host() : e.event().vm()))
        .collect(Collectors.toList());
  }

  @Override
  public void close() {
    zk.close();
    server.close();
  }

  /** A clock the test moves by hand. */
  public static final class MutableClock extends Clock {
    private volatile long millis;

    MutableClock(long start) {
      this.millis = start;
    }

    public void advance(long ms) {
      millis += ms;
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
