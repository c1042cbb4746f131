package io.roam.master.drs;

import io.roam.master.drs.model.Rule;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The rules, indexed by VM, checked against a {@link LoadState}. Affinity groups (VMs joined by
 * affinity rules, transitively) are planned as units: they move together, so a balancing move
 * never splits them.
 */
final class RuleBook {
  private final LoadState state;
  private final Map<Integer, List<Rule.VmHost>> hostRules = new HashMap<>();
  private final Map<Integer, List<Rule.AntiAffinity>> antiRules = new HashMap<>();
  private final Map<Integer, List<Integer>> unitOf = new HashMap<>();

  RuleBook(LoadState state, Collection<Rule> rules) {
    this.state = state;
    Map<Integer, Integer> parent = new HashMap<>();
    for (Rule r : rules) {
      List<Integer> members = indices(r.vms());
      if (r instanceof Rule.VmHost vh) {
        members.forEach(v -> hostRules.computeIfAbsent(v, k -> new ArrayList<>()).add(vh));
      } else if (r instanceof Rule.AntiAffinity aa) {
        members.forEach(v -> antiRules.computeIfAbsent(v, k -> new ArrayList<>()).add(aa));
      } else {
        for (int i = 1; i < members.size(); i++) {
          union(parent, members.get(0), members.get(i));
        }
      }
    }
    Map<Integer, List<Integer>> groups = new TreeMap<>();
    for (Integer v : parent.keySet()) {
      groups.computeIfAbsent(find(parent, v), k -> new ArrayList<>()).add(v);
    }
    for (List<Integer> g : groups.values()) {
      g.sort(null);
      g.forEach(v -> unitOf.put(v, List.copyOf(g)));
    }
  }

  private List<Integer> indices(Set<String> names) {
    List<Integer> out = new ArrayList<>();
    for (String n : new java.util.TreeSet<>(names)) {
      Integer v = state.vmIndex.get(n);
      if (v != null) {
        out.add(v);
      }
    }
    return out;
  }

  private static int find(Map<Integer, Integer> parent, int v) {
    parent.putIfAbsent(v, v);
    int p = parent.get(v);
    if (p == v) {
      return v;
    }
    int root = find(parent, p);
    parent.put(v, root);
    return root;
  }

  private static void union(Map<Integer, Integer> parent, int a, int b) {
    int ra = find(parent, a);
    int rb = find(parent, b);
    if (ra != rb) {
      parent.put(Math.max(ra, rb), Math.min(ra, rb));
    }
  }

  /** The VMs that move together with {@code v} (itself alone when it has no affinity rule). */
  List<Integer> unit(int v) {
    return unitOf.getOrDefault(v, List.of(v));
  }

  /**
   * Why the VMs of {@code unit} may not all be on host {@code h}, or null when they may. Binding
   * rules always count; VM–host preferences only when {@code withShould}.
   */
  String violation(List<Integer> unit, int h, boolean withShould) {
    String host = state.hosts[h].name();
    for (int v : unit) {
      String addressProblem = cannotHoldAddress(v, h);
      if (addressProblem != null) {
        return addressProblem;
      }
    }
    for (int v : unit) {
      for (Rule.VmHost r : hostRules.getOrDefault(v, List.of())) {
        if ((r.must() || withShould) && !r.allows(host)) {
          return "rule '" + r.name() + "': " + state.vms[v].name() + " " + r.describe();
        }
      }
      for (Rule.AntiAffinity r : antiRules.getOrDefault(v, List.of())) {
        for (int other : state.vmsOn.get(h)) {
          if (other != v && !unit.contains(other) && r.vms().contains(state.vms[other].name())) {
            return "anti-affinity rule '" + r.name() + "': " + state.vms[v].name() + " may not share host " + host
                + " with " + state.vms[other].name();
          }
        }
      }
    }
    // Members of the unit that stay behind (not in it, e.g. a single VM being placed) pin it.
    for (int v : unit) {
      for (int member : unit(v)) {
        int at = state.vmHost[member];
        if (!unit.contains(member) && at >= 0 && at != h && state.hosts[at].mode().takesVms()) {
          return "affinity: " + state.vms[v].name() + " runs with " + state.vms[member].name() + " on "
              + state.hosts[at].name();
        }
      }
    }
    return null;
  }

  /**
   * Why host {@code h} may not run VM {@code v} whatever the rules say, or null: a VM with an address
   * of its own runs only where the agent can put that address on its interface. A binding
   * constraint, like a "must" rule; HA never breaks it (the agent would refuse the VM anyway).
   */
  String cannotHoldAddress(int v, int h) {
    if (state.vms[v].hasAddress() && !state.hosts[h].vmAddresses()) {
      return state.vms[v].name() + " has an address of its own and host " + state.hosts[h].name()
          + " cannot manage VM addresses (agent.vm-interface, CAP_NET_ADMIN)";
    }
    return null;
  }

  /**
   * Why VM {@code v} is where it may not be, or null. Of two anti-affine VMs on one host, the
   * later one (in snapshot order) is the one out of place; an affinity group spread over hosts is
   * broken for every member that is not with the group's first member.
   */
  String brokenRule(int v, boolean withShould) {
    int h = state.vmHost[v];
    if (h < 0) {
      return null;
    }
    String host = state.hosts[h].name();
    for (Rule.VmHost r : hostRules.getOrDefault(v, List.of())) {
      if ((r.must() || withShould) && !r.allows(host)) {
        return "rule '" + r.name() + "': " + state.vms[v].name() + " " + r.describe();
      }
    }
    for (Rule.AntiAffinity r : antiRules.getOrDefault(v, List.of())) {
      for (int other : state.vmsOn.get(h)) {
        if (other < v && r.vms().contains(state.vms[other].name())) {
          return "anti-affinity rule '" + r.name() + "': " + state.vms[v].name() + " shares host " + host + " with "
              + state.vms[other].name();
        }
      }
    }
    List<Integer> u = unit(v);
    int anchor = state.vmHost[u.get(0)];
    if (anchor != h) {
      return "affinity: " + state.vms[v].name() + " must run with " + state.vms[u.get(0)].name() + " on "
          + (anchor >= 0 ? state.hosts[anchor].name() : "its host");
    }
    return null;
  }
}
