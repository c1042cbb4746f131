package io.roam.master.drs.model;

import java.util.Set;

/**
 * A placement rule. VM–VM rules always bind; VM–host rules bind ({@code must}) or are preferences
 * ({@code should}) that DRS keeps and fixes but HA may break to restart a VM. DRS, HA and DPM never
 * break a binding rule.
 */
public sealed interface Rule {
  String name();

  Set<String> vms();

  /** The VMs run on one host (they move together). */
  record Affinity(String name, Set<String> vms) implements Rule {
    public Affinity {
      vms = Set.copyOf(vms);
    }
  }

  /** No two of the VMs run on one host. */
  record AntiAffinity(String name, Set<String> vms) implements Rule {
    public AntiAffinity {
      vms = Set.copyOf(vms);
    }
  }

  /**
   * The VMs run on ({@code runOn}) or not on ({@code !runOn}) the hosts of a group.
   *
   * @param must binding when true; a preference when false
   */
  record VmHost(String name, Set<String> vms, Set<String> hosts, boolean runOn, boolean must) implements Rule {
    public VmHost {
      vms = Set.copyOf(vms);
      hosts = Set.copyOf(hosts);
    }

    /** Whether this rule lets its VMs be on the host. */
    public boolean allows(String host) {
      return hosts.contains(host) == runOn;
    }

    public String describe() {
      return (must ? "must" : "should") + (runOn ? " run on " : " not run on ") + "hosts " + new java.util.TreeSet<>(hosts);
    }
  }
}
