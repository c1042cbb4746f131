package io.roam.common.net;

import java.util.ArrayList;
import java.util.List;

/**
 * The addresses a cluster may give its VMs ({@code vm.address-pool}): zero or more IPv4 networks
 * in CIDR notation. Empty means VMs get no addresses of their own. Immutable.
 */
public record AddressPool(List<Cidr> networks) {
  public static final AddressPool NONE = new AddressPool(List.of());

  public AddressPool {
    networks = List.copyOf(networks);
  }

  /** One network, e.g. 10.0.0.0/24: its base address is aligned to its prefix. */
  public record Cidr(int base, int prefix) {
    public boolean contains(int address) {
      return (address & VmAddress.mask(prefix)) == base;
    }

    @Override
    public String toString() {
      return VmAddress.format(base) + "/" + prefix;
    }
  }

  /**
   * Parses a comma- or space-separated list of CIDRs ("" for none).
   *
   * @throws IllegalArgumentException with a one-line message naming the bad entry
   */
  public static AddressPool parse(String text) {
    List<Cidr> out = new ArrayList<>();
    for (String entry : text.trim().split("[,\\s]+")) {
      if (entry.isEmpty()) {
        continue;
      }
      int slash = entry.indexOf('/');
      if (slash < 0 || entry.contains(":")) {
        throw new IllegalArgumentException("'" + entry + "' is not an IPv4 network in CIDR notation such as 10.0.0.0/24");
      }
      int bits = VmAddress.parseIpv4(entry.substring(0, slash), entry);
      int prefix;
      try {
        prefix = Integer.parseInt(entry.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 1 || prefix > 32) {
        throw new IllegalArgumentException("'" + entry + "': the prefix length after '/' must be a number from 1 to 32");
      }
      int base = bits & VmAddress.mask(prefix);
      if (base != bits) {
        throw new IllegalArgumentException("'" + entry + "' has host bits set: did you mean " + VmAddress.format(base)
            + "/" + prefix + "?");
      }
      out.add(new Cidr(base, prefix));
    }
    return new AddressPool(out);
  }

  public boolean isEmpty() {
    return networks.isEmpty();
  }

  public boolean contains(VmAddress a) {
    return networks.stream().anyMatch(n -> n.contains(a.bits()));
  }

  @Override
  public String toString() {
    return String.join(",", networks.stream().map(Cidr::toString).toList());
  }
}
