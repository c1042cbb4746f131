package io.roam.master.drs;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Picks the host for a new VM: among connected hosts with room for it, the one with the most free
 * guest memory (ties: fewest VMs, then name, so the choice is deterministic). Pure: no I/O.
 * The DRS issue replaces this with imbalance-aware placement under rules.
 */
public final class InitialPlacement {
  /** What placement needs to know of a host. */
  public record HostLoad(String name, boolean connected, long memoryBytes, long memoryUsedBytes, int vmCount) {
    public long free() {
      return memoryBytes - memoryUsedBytes;
    }
  }

  /** The chosen host, or why none could be chosen. */
  public record Decision(Optional<String> host, String reason) {}

  private InitialPlacement() {}

  public static Decision place(List<HostLoad> hosts, long memoryNeeded) {
    List<HostLoad> connected = hosts.stream().filter(HostLoad::connected).toList();
    if (connected.isEmpty()) {
      return new Decision(Optional.empty(), "no connected hosts");
    }
    return connected.stream().filter(h -> h.free() >= memoryNeeded)
        .max(Comparator.comparingLong(HostLoad::free).thenComparing(HostLoad::vmCount, Comparator.reverseOrder())
            .thenComparing(HostLoad::name, Comparator.reverseOrder()))
        .map(h -> new Decision(Optional.of(h.name()), "most free memory (" + h.free() + " bytes)"))
        .orElseGet(() -> new Decision(Optional.empty(), "no connected host has " + memoryNeeded
            + " bytes of guest memory free (largest free: "
            + connected.stream().mapToLong(HostLoad::free).max().orElse(0) + ")"));
  }
}
