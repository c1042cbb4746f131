package io.roam.master.ft;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * FT's decisions, a pure function (DESIGN.md "Fault tolerance"): which VMs need a hot secondary
 * started, and on which host, and which protections must end. A VM is protected while its owner
 * record carries an FT tag naming its secondary; the primary's agent writes and removes that tag,
 * the leader only asks for protection to start or stop, and fails over to the secondary (HA).
 *
 * <p>A secondary goes to the preferred host if it can take it, else to the live host, other than
 * the primary's, with the most guest memory free (each choice of the pass counted against the
 * next). Never on the primary's host: a host failure would take both copies.
 */
public final class FtPlanner {
  private FtPlanner() {}

  /** One VM as FT sees it. */
  public record VmFt(String vm, boolean on, boolean running, String primary, String protectedBy, boolean starting,
      long memoryBytes, String preferred, long intervalMs) {}

  /** One host as FT sees it. */
  public record Host(String name, boolean live, boolean takesVms, long freeMemoryBytes) {}

  public sealed interface Action {
    String vm();

    String reason();
  }

  /** Seed a hot secondary for {@code vm} (running on {@code primary}) on {@code secondary}. */
  public record Protect(String vm, String primary, String secondary, long intervalMs, String reason)
      implements Action {}

  /** FT was turned off: end the protection on {@code primary} (the secondary is discarded). */
  public record Unprotect(String vm, String primary, String reason) implements Action {}

  /** Not protected and no host can take its secondary now (said so once, the next passes look again). */
  public record NoRoom(String vm, String reason) implements Action {}

  /** The FT state shown for a VM (vm show, vm ls, events). */
  public static String state(boolean on, String protectedBy, boolean starting) {
    if (protectedBy != null && on) {
      return "protected";
    }
    if (!on) {
      return protectedBy != null || starting ? "stopping" : "not protected";
    }
    return starting ? "starting" : "needs secondary";
  }

  public static List<Action> plan(List<VmFt> vms, List<Host> hosts) {
    Map<String, Long> free = new HashMap<>();
    hosts.forEach(h -> free.put(h.name(), h.freeMemoryBytes()));
    List<Action> out = new ArrayList<>();
    for (VmFt v : vms.stream().sorted(Comparator.comparing(VmFt::vm)).toList()) {
      if (!v.on()) {
        if (v.protectedBy() != null || v.starting()) {
          out.add(new Unprotect(v.vm(), v.primary(), "FT turned off"));
        }
        continue;
      }
      if (v.running() && v.protectedBy() != null) {
        Host secondary = hosts.stream().filter(h -> h.name().equals(v.protectedBy())).findFirst().orElse(null);
        if (secondary != null && secondary.live() && !secondary.takesVms()) {
          // Maintenance or standby of the secondary's host: end this protection, and the next pass
          // seeds a secondary on a host that takes VMs (the VM is unprotected in between).
          out.add(new Unprotect(v.vm(), v.primary(), "host " + secondary.name() + " of its secondary takes no VMs"
              + " (maintenance or standby); moving the secondary"));
        }
        continue;
      }
      if (!v.running() || v.protectedBy() != null || v.starting()) {
        continue;
      }
      Host primary = hosts.stream().filter(h -> h.name().equals(v.primary())).findFirst().orElse(null);
      if (primary == null || !primary.live()) {
        continue; // HA's to handle
      }
      List<Host> candidates = hosts.stream().filter(h -> h.live() && h.takesVms() && !h.name().equals(v.primary())
          && free.get(h.name()) >= v.memoryBytes()).sorted(Comparator.comparingLong((Host h) -> -free.get(h.name()))
          .thenComparing(Host::name)).toList();
      if (candidates.isEmpty()) {
        out.add(new NoRoom(v.vm(), "no other connected host has " + v.memoryBytes() + " bytes of guest memory free"
            + " for its secondary"));
        continue;
      }
      Host to = candidates.stream().filter(h -> h.name().equals(v.preferred())).findFirst().orElse(candidates.get(0));
      free.merge(to.name(), -v.memoryBytes(), Long::sum);
      out.add(new Protect(v.vm(), v.primary(), to.name(), v.intervalMs(), "FT on: seeding a hot secondary on "
          + to.name() + (v.preferred().isEmpty() || v.preferred().equals(to.name()) ? ""
              : " (preferred host " + v.preferred() + " cannot take it now)")));
    }
    return out;
  }
}
