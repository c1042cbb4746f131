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

  @Override
  public Optional<Owner> read(String vm) {
    return Optional.ofNullable(records.get(vm));
  }

  @Override
  public synchronized boolean compareAndSet(String vm, int expectedVersion, String host, long epoch, String migration) {
    Owner o = records.get(vm);
    if (o == null || o.version() != expectedVersion) {
      return false;
    }
    records.put(vm, new Owner(host, epoch, expectedVersion + 1, migration));
    return true;
  }
}
