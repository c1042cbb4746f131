package io.roam.agent.migration;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Ownership records with versions, as ZooKeeper keeps them, in memory. Thread-safe. */
public final class InMemoryOwnership implements Ownership {
  public final Map<String, Owner> records = new ConcurrentHashMap<>();

  /** Sets the record as if created or written by someone else (its version moves on). */
  public synchronized void put(String vm, String host, long epoch) {
    Owner o = records.get(vm);
    records.put(vm, new Owner(host, epoch, o == null ? 0 : o.version() + 1));
  }

  /**
   * When set, plain reads see this older copy of the records, as a ZooKeeper server that has not
   * caught up with the leader would show them; {@link #readLatest} sees the records.
   */
  public volatile Map<String, Owner> behind;

  /** From now on plain reads see the records as they are now, whatever is written later. */
  public void fallBehind() {
    behind = Map.copyOf(records);
  }

  /** Reads still to fail, as ZooKeeper's connection loss does, before reads answer again. */
  public final java.util.concurrent.atomic.AtomicInteger failingReads = new java.util.concurrent.atomic.AtomicInteger();

  @Override
  public Optional<Owner> read(String vm) throws Exception {
    if (failingReads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new org.apache.zookeeper.KeeperException.ConnectionLossException();
    }
    Map<String, Owner> view = behind;
    return Optional.ofNullable((view != null ? view : records).get(vm));
  }

  @Override
  public Optional<Owner> readLatest(String vm) {
    return Optional.ofNullable(records.get(vm));
  }

  /**
   * Hosts whose own writes fail as ZooKeeper's connection loss does (a dead or cut-off agent): a
   * compare-and-set that keeps the record on one of these hosts is refused so.
   */
  public final java.util.Set<String> unreachable = ConcurrentHashMap.newKeySet();

  @Override
  public synchronized boolean compareAndSet(String vm, int expectedVersion, String host, long epoch, String migration)
      throws Exception {
    Owner o = records.get(vm);
    if (o != null && o.host().equals(host) && unreachable.contains(host)) {
      throw new org.apache.zookeeper.KeeperException.ConnectionLossException();
    }
    if (o == null || o.version() != expectedVersion) {
      return false;
    }
    records.put(vm, new Owner(host, epoch, expectedVersion + 1, migration));
    return true;
  }
}
