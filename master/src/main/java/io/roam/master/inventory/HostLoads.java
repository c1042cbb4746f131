package io.roam.master.inventory;

import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmRecord;
import io.roam.master.inventory.ClusterStore.Versioned;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads how much guest memory each host has promised to the VMs it owns, for placement. */
public final class HostLoads {
  private HostLoads() {}

  /** How much guest memory a host offers and has promised, and how many VMs it owns. */
  public record HostLoad(String name, boolean connected, long memoryBytes, long memoryUsedBytes, int vmCount) {
    public long free() {
      return memoryBytes - memoryUsedBytes;
    }
  }

  public static List<HostLoad> read(ClusterStore store, Collection<HostRecord> hosts) throws Exception {
    Map<String, long[]> used = new HashMap<>(); // host -> {bytes, VMs}
    for (String vm : store.vmNames()) {
      Optional<VmRecord> rec = store.vm(vm);
      Optional<Versioned<OwnerRecord>> owner = store.owner(vm);
      if (rec.isPresent() && owner.isPresent()) {
        long[] u = used.computeIfAbsent(owner.get().value().host(), k -> new long[2]);
        u[0] += rec.get().spec().memoryBytes();
        u[1]++;
      }
    }
    List<HostLoad> out = new ArrayList<>();
    for (HostRecord h : hosts) {
      long[] u = used.getOrDefault(h.name(), new long[2]);
      out.add(new HostLoad(h.name(), store.isLive(h.name()), h.memoryBytes(), u[0], (int) u[1]));
    }
    return out;
  }
}
