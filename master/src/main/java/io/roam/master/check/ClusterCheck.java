package io.roam.master.check;

import io.roam.master.check.CheckItem.Verdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one-page checklist of docs/rack.md, as a pure function of what the leader gathered
 * ({@link HostFacts}): every host connected with fresh heartbeats, the datastore shared by every
 * host, every clock within bounds of the leader's, every power driver answering. The gathering is
 * {@link ClusterChecker}'s; this class does no I/O. Stateless.
 *
 * <p>The datastore verdict: hosts that read each other's token files share a datastore; the largest
 * such group (when one group is larger than every other) is the cluster's datastore, and a host
 * outside it FAILs, named with the group it should have joined. With no unique largest group,
 * every host that misses another's file FAILs.
 */
public final class ClusterCheck {
  private ClusterCheck() {}

  /**
   * @param maxClockSkewMs a host's clock may be this far from the leader's
   * @param heartbeatTimeoutMs a heartbeat older than this is stale (ha.heartbeat-timeout-ms)
   */
  public record Bounds(long maxClockSkewMs, long heartbeatTimeoutMs) {}

  /** Every item, by check then host; see {@link #passed}. */
  public static List<CheckItem> evaluate(List<HostFacts> hosts, Bounds bounds) {
    List<HostFacts> sorted = hosts.stream().sorted(Comparator.comparing(HostFacts::name)).toList();
    List<CheckItem> items = new ArrayList<>();
    if (sorted.isEmpty()) {
      items.add(new CheckItem(CheckItem.CONNECTED, "-", Verdict.FAIL,
          "no host has registered: start roam-agent on every machine"));
      return items;
    }
    sorted.forEach(h -> items.add(connected(h, bounds)));
    items.addAll(datastore(sorted));
    sorted.forEach(h -> items.add(clock(h, bounds)));
    sorted.forEach(h -> items.add(power(h)));
    return items;
  }

  public static boolean passed(List<CheckItem> items) {
    return items.stream().noneMatch(i -> i.verdict() == Verdict.FAIL);
  }

  static CheckItem connected(HostFacts h, Bounds bounds) {
    if (h.standby()) {
      return item(CheckItem.CONNECTED, h, Verdict.SKIP, h.state() + ": powered off on purpose (DPM or an operator)");
    }
    String heard = h.heartbeatAgeMs().isPresent() ? "last heartbeat " + seconds(h.heartbeatAgeMs().getAsLong()) + " ago"
        : "no heartbeat since this master leads";
    boolean fresh = h.heartbeatAgeMs().isPresent() && h.heartbeatAgeMs().getAsLong() <= bounds.heartbeatTimeoutMs();
    boolean up = Set.of("connected", "maintenance", "entering-maintenance").contains(h.state());
    if (up && h.live() && fresh) {
      return item(CheckItem.CONNECTED, h, Verdict.PASS, h.state() + ", " + heard);
    }
    String why = !h.live() ? "no ZooKeeper session" : !fresh ? "heartbeats stale (bound "
        + seconds(bounds.heartbeatTimeoutMs()) + ")" : "the leader judges it " + h.state();
    return item(CheckItem.CONNECTED, h, Verdict.FAIL, h.state() + ": " + why + ", " + heard
        + "; is roam-agent running there, and can it reach ZooKeeper and the masters?");
  }

  static List<CheckItem> datastore(List<HostFacts> hosts) {
    Map<String, HostFacts> wrote = new LinkedHashMap<>();
    for (HostFacts h : hosts) {
      if (h.probe() != null && h.probe().answered() && h.probe().writeError().isEmpty()) {
        wrote.put(h.name(), h);
      }
    }
    List<Set<String>> groups = sharingGroups(wrote);
    Set<String> cluster = largestUnique(groups);
    List<CheckItem> items = new ArrayList<>();
    for (HostFacts h : hosts) {
      HostFacts.Probe p = h.probe();
      if (p == null) {
        items.add(item(CheckItem.DATASTORE, h, Verdict.SKIP, h.standby() ? "in standby: not probed"
            : "not connected: not probed"));
      } else if (!p.answered()) {
        items.add(item(CheckItem.DATASTORE, h, Verdict.FAIL, "did not answer the probe: " + p.error()));
      } else if (!p.writeError().isEmpty()) {
        items.add(item(CheckItem.DATASTORE, h, Verdict.FAIL, p.writeError()
            + "; the datastore must be writable by the agent's user (roam)"));
      } else {
        items.add(sharing(h, wrote, cluster));
      }
    }
    return items;
  }

  private static CheckItem sharing(HostFacts h, Map<String, HostFacts> wrote, Set<String> cluster) {
    HostFacts.Probe p = h.probe();
    Set<String> others = new TreeSet<>(wrote.keySet());
    others.remove(h.name());
    Set<String> missed = new TreeSet<>(others);
    missed.removeAll(p.seen());
    Set<String> unseenBy = new TreeSet<>();
    for (String o : others) {
      if (!wrote.get(o).probe().seen().contains(h.name())) {
        unseenBy.add(o);
      }
    }
    if (missed.isEmpty() && unseenBy.isEmpty()) {
      return item(CheckItem.DATASTORE, h, Verdict.PASS, others.isEmpty() ? "wrote and read back its file in "
          + p.datastore() + " (no other host to share with)" : "reads and is read by " + String.join(", ", others)
          + " in " + p.datastore());
    }
    if (cluster != null && cluster.contains(h.name())) {
      Set<String> mates = new TreeSet<>(cluster);
      mates.remove(h.name());
      return item(CheckItem.DATASTORE, h, Verdict.PASS, mates.isEmpty() ? "wrote its file in " + p.datastore()
          : "shares " + p.datastore() + " with " + String.join(", ", mates) + " (the others fail)");
    }
    StringBuilder why = new StringBuilder();
    if (!missed.isEmpty()) {
      why.append("does not see the files of ").append(String.join(", ", missed)).append(" (")
          .append(p.unseen().getOrDefault(missed.iterator().next(), "not found")).append(")");
    }
    if (!unseenBy.isEmpty()) {
      why.append(why.length() == 0 ? "" : "; ").append("its file is not seen by ").append(String.join(", ", unseenBy));
    }
    String fix = cluster == null ? "; the hosts do not agree on one datastore: mount the same export on every host"
        : "; it does not share the datastore of " + String.join(", ", cluster) + ": mount the same export at "
            + wrote.get(cluster.iterator().next()).probe().datastore() + " (this host uses " + p.datastore() + ")";
    return item(CheckItem.DATASTORE, h, Verdict.FAIL, why + fix);
  }

  /** Groups of hosts connected by "each reads the other's file" (connected components). */
  static List<Set<String>> sharingGroups(Map<String, HostFacts> wrote) {
    List<Set<String>> groups = new ArrayList<>();
    Set<String> placed = new TreeSet<>();
    for (String start : wrote.keySet()) {
      if (placed.contains(start)) {
        continue;
      }
      Set<String> group = new TreeSet<>();
      List<String> todo = new ArrayList<>(List.of(start));
      while (!todo.isEmpty()) {
        String a = todo.remove(todo.size() - 1);
        if (!group.add(a)) {
          continue;
        }
        for (String b : wrote.keySet()) {
          if (!group.contains(b) && wrote.get(a).probe().seen().contains(b) && wrote.get(b).probe().seen().contains(a)) {
            todo.add(b);
          }
        }
      }
      placed.addAll(group);
      groups.add(group);
    }
    return groups;
  }

  /** The group larger than every other, or null when there is none (a tie, or no group at all). */
  private static Set<String> largestUnique(List<Set<String>> groups) {
    Set<String> best = null;
    boolean tie = false;
    for (Set<String> g : groups) {
      if (best == null || g.size() > best.size()) {
        best = g;
        tie = false;
      } else if (g.size() == best.size()) {
        tie = true;
      }
    }
    return tie ? null : best;
  }

  static CheckItem clock(HostFacts h, Bounds bounds) {
    HostFacts.Probe p = h.probe();
    if (p == null || !p.answered()) {
      return item(CheckItem.CLOCK, h, Verdict.SKIP, "not read: the host did not answer");
    }
    // The host read its clock somewhere inside the call: its offset is known to within half the round trip.
    long atLeast = Math.max(0, Math.abs(p.clockOffsetMs()) - p.roundTripMs() / 2);
    String direction = p.clockOffsetMs() >= 0 ? "ahead of" : "behind";
    String measured = Math.abs(p.clockOffsetMs()) + " ms " + direction + " the leader master's (round trip "
        + p.roundTripMs() + " ms, bound " + bounds.maxClockSkewMs() + " ms)";
    if (atLeast > bounds.maxClockSkewMs()) {
      return item(CheckItem.CLOCK, h, Verdict.FAIL, measured + "; synchronise it (chrony or systemd-timesyncd)");
    }
    return item(CheckItem.CLOCK, h, Verdict.PASS, measured);
  }

  static CheckItem power(HostFacts h) {
    HostFacts.Power p = h.power();
    if (p == null) {
      return item(CheckItem.POWER, h, Verdict.SKIP,
          "none: HA waits out its leases instead of fencing it, DPM cannot power it");
    }
    if (!p.error().isEmpty()) {
      return item(CheckItem.POWER, h, Verdict.FAIL, p.driver() + " did not answer: " + p.error());
    }
    String state = p.state().toLowerCase(Locale.ROOT);
    String says = p.driver() + " says " + state;
    return switch (state) {
      case "on" -> h.standby() && h.state().equals("standby")
          ? item(CheckItem.POWER, h, Verdict.FAIL, says + " while the host is in standby: does it drive this host?")
          : item(CheckItem.POWER, h, Verdict.PASS, says);
      case "off" -> h.live()
          ? item(CheckItem.POWER, h, Verdict.FAIL, says + " while the host's agent is connected: does it drive this host?")
          : item(CheckItem.POWER, h, Verdict.PASS, says);
      default -> item(CheckItem.POWER, h, Verdict.FAIL, says + ": it cannot tell the host's power state");
    };
  }

  private static CheckItem item(String check, HostFacts h, Verdict v, String detail) {
    return new CheckItem(check, h.name(), v, detail);
  }

  private static String seconds(long ms) {
    return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }
}
