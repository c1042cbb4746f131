package io.roam.common.net;

import java.util.Map;
import java.util.Optional;

/**
 * Whether a VM may have the address an operator asked for: a pure function of the request, the
 * cluster's pool and the addresses other VMs hold, answering with the one line the operator sees.
 */
public final class VmAddressRules {
  private VmAddressRules() {}

  /** An address the VM may have, canonical ("10.0.0.5/24"), or why not. */
  public record Verdict(Optional<VmAddress> address, String refusal) {
    static Verdict ok(VmAddress a) {
      return new Verdict(Optional.of(a), null);
    }

    static Verdict no(String why) {
      return new Verdict(Optional.empty(), why);
    }

    public boolean refused() {
      return refusal != null;
    }
  }

  /**
   * @param requested the operator's {@code --ip} text (ADDRESS/PREFIX)
   * @param vm the VM that would have it
   * @param pool the cluster's {@code vm.address-pool}
   * @param otherVms the address each other VM of the cluster holds (VM name to "ADDRESS/PREFIX"; VMs
   *     without an address may be left out or map to "")
   */
  public static Verdict check(String requested, String vm, AddressPool pool, Map<String, String> otherVms) {
    if (pool.isEmpty()) {
      return Verdict.no("this cluster gives VMs no addresses of their own: set vm.address-pool on the masters"
          + " (e.g. 10.0.0.0/24) to use --ip");
    }
    VmAddress a;
    try {
      a = VmAddress.parse(requested);
    } catch (IllegalArgumentException e) {
      return Verdict.no("--ip " + e.getMessage());
    }
    if (!pool.contains(a)) {
      return Verdict.no("address " + a.ip() + " is outside the cluster's address pool " + pool
          + " (vm.address-pool): choose one inside it");
    }
    if (a.isNetworkOrBroadcast()) {
      return Verdict.no("address " + a.ip() + " is the network or broadcast address of its subnet /" + a.prefix()
          + ": choose another");
    }
    for (Map.Entry<String, String> other : new java.util.TreeMap<>(otherVms).entrySet()) {
      if (other.getKey().equals(vm) || other.getValue() == null || other.getValue().isEmpty()) {
        continue;
      }
      VmAddress held;
      try {
        held = VmAddress.parse(other.getValue());
      } catch (IllegalArgumentException e) {
        continue; // not ours to judge here; it was checked when that VM was created
      }
      if (held.bits() == a.bits()) {
        return Verdict.no("address " + a.ip() + " is already used by VM " + other.getKey()
            + ": choose another from the pool " + pool);
      }
    }
    return Verdict.ok(a);
  }
}
