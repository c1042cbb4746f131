package io.roam.master.drs;

import io.roam.master.drs.model.ClusterSnapshot;
import java.util.List;
import java.util.Optional;

/**
 * Where a VM should start: the host that keeps the imbalance lowest while obeying the rules and
 * having the memory. Used for new VMs and for HA restarts, which place several VMs one after the
 * other: each placement is remembered, so the next one sees it.
 *
 * <p>The VMs to place must be in the snapshot: new ones on an unknown host (e.g. ""), restarted
 * ones on their failed host (which takes no VMs).
 */
public final class Placement {
  private final LoadState state;
  private final RuleBook rules;

  private Placement(ClusterSnapshot snapshot) {
    this.state = new LoadState(snapshot);
    this.rules = new RuleBook(state, snapshot.rules());
  }

  public static Placement of(ClusterSnapshot snapshot) {
    return new Placement(snapshot);
  }

  /** The chosen host, or why none could be chosen. */
  public record Decision(Optional<String> host, String reason) {}

  /**
   * Places the VM and remembers it.
   *
   * @param mayBreakPreferences HA restarts may break a "should" VM–host rule when no host keeps it
   */
  public Decision place(String vm, boolean mayBreakPreferences) {
    Integer v = state.vmIndex.get(vm);
    if (v == null) {
      throw new IllegalArgumentException("VM " + vm + " is not in the snapshot");
    }
    int from = state.vmHost[v];
    long memory = state.vms[v].memoryBytes();
    int best = best(v, from, memory, true);
    boolean broke = false;
    if (best < 0 && mayBreakPreferences) {
      best = best(v, from, memory, false);
      broke = best >= 0;
    }
    if (best < 0) {
      return new Decision(Optional.empty(), whyNot(v, from, memory));
    }
    state.move(v, best);
    String reason = String.format(java.util.Locale.ROOT, "lowest resulting imbalance (%.3f), %d bytes free after",
        state.imbalance(), state.memoryFree(best)) + (broke ? "; breaks a preference rule, no host keeps it" : "");
    return new Decision(Optional.of(state.hosts[best].name()), reason);
  }

  private int best(int v, int from, long memory, boolean withShould) {
    int best = -1;
    double bestGain = Double.NEGATIVE_INFINITY;
    long bestFree = -1;
    for (int h = 0; h < state.hosts.length; h++) {
      if (h == from || !state.hosts[h].mode().takesVms() || state.memoryFree(h) < memory
          || rules.violation(List.of(v), h, withShould) != null) {
        continue;
      }
      double g = state.gain(from, h, state.vms[v].cpuDemand());
      long free = state.memoryFree(h);
      if (g > bestGain + 1e-12 || Math.abs(g - bestGain) <= 1e-12 && free > bestFree) {
        best = h;
        bestGain = g;
        bestFree = free;
      }
    }
    return best;
  }

  private String whyNot(int v, int from, long memory) {
    StringBuilder sb = new StringBuilder();
    long largest = 0;
    int hostsTaking = 0;
    for (int h = 0; h < state.hosts.length; h++) {
      if (h == from || !state.hosts[h].mode().takesVms()) {
        continue;
      }
      hostsTaking++;
      largest = Math.max(largest, state.memoryFree(h));
      String r = rules.violation(List.of(v), h, false);
      if (r != null && sb.length() < 300) {
        sb.append("; ").append(state.hosts[h].name()).append(": ").append(r);
      }
    }
    if (hostsTaking == 0) {
      return "no connected host takes VMs";
    }
    if (largest < memory) {
      return "no connected host has " + memory + " bytes of guest memory free (largest free: " + largest + ")";
    }
    return "no host with room obeys the rules" + sb;
  }
}
