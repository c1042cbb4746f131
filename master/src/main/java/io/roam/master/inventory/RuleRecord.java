package io.roam.master.inventory;

import io.roam.master.drs.model.Rule;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A DRS rule as kept in ZooKeeper and shown by roamctl: one flat shape for every kind.
 *
 * @param type "affinity", "anti-affinity", "vm-host" (run on the hosts) or "vm-not-host"
 * @param must for VM–host rules: binding (true) or a preference (false)
 */
public record RuleRecord(String name, String type, List<String> vms, List<String> hosts, boolean must) {
  public static final List<String> TYPES = List.of("affinity", "anti-affinity", "vm-host", "vm-not-host");

  public RuleRecord {
    vms = vms == null ? List.of() : List.copyOf(vms);
    hosts = hosts == null ? List.of() : List.copyOf(hosts);
  }

  /** Null when the rule is well formed, else why not. */
  public String check() {
    if (name == null || !name.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")) {
      return "invalid rule name '" + name + "': use 1 to 63 letters, digits, '.', '_' or '-'";
    }
    if (!TYPES.contains(type)) {
      return "unknown rule type '" + type + "': use one of " + TYPES;
    }
    if (type.startsWith("vm-")) {
      if (vms.isEmpty() || hosts.isEmpty()) {
        return "a " + type + " rule needs at least one VM and one host";
      }
    } else if (vms.size() < 2) {
      return "an " + type + " rule needs at least two VMs";
    }
    return null;
  }

  public Rule toRule() {
    return switch (type.toLowerCase(Locale.ROOT)) {
      case "affinity" -> new Rule.Affinity(name, Set.copyOf(vms));
      case "anti-affinity" -> new Rule.AntiAffinity(name, Set.copyOf(vms));
      case "vm-host" -> new Rule.VmHost(name, Set.copyOf(vms), Set.copyOf(hosts), true, must);
      case "vm-not-host" -> new Rule.VmHost(name, Set.copyOf(vms), Set.copyOf(hosts), false, must);
      default -> throw new IllegalStateException("unknown rule type " + type);
    };
  }
}
