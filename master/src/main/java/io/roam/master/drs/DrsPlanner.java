package io.roam.master.drs;

import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * DRS: a pure function from a cluster snapshot to a plan of live migrations, each with a reason.
 *
 * <p>One pass, in order: (1) evacuate hosts entering maintenance or standby, (2) fix broken rules,
 * (3) while the imbalance is above the threshold's target, take the single move that lowers it
 * most for its cost, if its benefit is worth that cost. Every move respects binding rules, memory
 * room and the per-host and per-cluster migration caps (in-flight migrations count); balancing
 * leaves alone VMs moved within the hysteresis time, so that noise cannot bounce a VM between
 * hosts.
 */
public final class DrsPlanner {
  /**
   * Balancing looks for the best move among this many of the most and least loaded hosts: enough
   * to find the best move in practice, few enough that a pass over 1,000 hosts stays cheap. Small
   * clusters are searched completely.
   */
  static final int CANDIDATE_HOSTS = 24;
  /**
   * A balancing move the previous pass recommended (manual mode) is made again while it scores at
   * least this share of the best move's score: two near-equal VMs must not swap places in the
   * recommendations every pass, or an operator (or the dashboard) applies an id that is already gone.
   */
  static final double STANDING_SHARE = 0.9;
  private static final double GIB = 1024.0 * 1024 * 1024;

  private final ClusterSnapshot snapshot;
  private final DrsSettings settings;
  private final LoadState state;
  private final RuleBook rules;
  private final int[] hostMoves;
  private int clusterMoves;
  private final Set<Integer> busy = new HashSet<>();
  private final List<Move> moves = new ArrayList<>();
  private final Map<String, String> blocked = new TreeMap<>();
  /** The previous pass's balancing recommendations: "vm from to" (see {@link #standing}). */
  private final Set<String> standing;

  private DrsPlanner(ClusterSnapshot snapshot, DrsSettings settings, Set<String> standing) {
    this.snapshot = snapshot;
    this.settings = settings;
    this.standing = Set.copyOf(standing);
    this.state = new LoadState(snapshot);
    this.rules = new RuleBook(state, snapshot.rules());
    this.hostMoves = new int[state.hosts.length];
    for (ClusterSnapshot.InFlight f : snapshot.inFlight()) {
      count(state.hostIndex.get(f.from()));
      count(state.hostIndex.get(f.to()));
      clusterMoves++;
      Integer v = state.vmIndex.get(f.vm());
      if (v != null) {
        busy.add(v);
      }
    }
  }

  private void count(Integer h) {
    if (h != null) {
      hostMoves[h]++;
    }
  }

  public static DrsPlan plan(ClusterSnapshot snapshot, DrsSettings settings) {
    return plan(snapshot, settings, Set.of());
  }

  /**
   * As {@link #plan(ClusterSnapshot, DrsSettings)}, keeping the balancing moves the previous pass
   * recommended (keys made by {@link #standing}) while they stay nearly as good as the best.
   */
  public static DrsPlan plan(ClusterSnapshot snapshot, DrsSettings settings, Set<String> standing) {
    DrsPlanner p = new DrsPlanner(snapshot, settings, standing);
    double before = p.state.imbalance();
    Map<String, Double> loads = p.state.loadsOfHostsTakingVms();
    p.evacuate();
    p.fixRules();
    if (settings.threshold() > 1) {
      p.balance();
    }
    return new DrsPlan(p.moves, p.blocked, before, p.state.imbalance(), settings.targetImbalance(), loads);
  }

  // ---- (1) evacuation ----

  private void evacuate() {
    for (int h = 0; h < state.hosts.length; h++) {
      if (state.hosts[h].mode().evacuating()) {
        evacuate(h);
      }
    }
  }

  private void evacuate(int h) {
    String why = "host " + state.hosts[h].name() + " is entering "
        + (state.hosts[h].mode() == HostMode.ENTERING_STANDBY ? "standby" : "maintenance");
    for (int v : List.copyOf(state.vmsOn.get(h))) {
      List<Integer> unit = rules.unit(v);
      if (busy.contains(v) || unit.get(0) != v && state.vmHost[unit.get(0)] == h) {
        continue; // moving already, or moves with its group's first member
      }
      List<Integer> group = unit.stream().filter(m -> state.vmHost[m] == h).toList();
      String disabled = disabledMember(group);
      if (disabled != null) {
        blocked.put(state.vms[v].name(), "DRS is disabled for VM " + disabled + ", so it cannot leave "
            + state.hosts[h].name());
        continue;
      }
      moveToBest(group, h, Move.Kind.EVACUATE, true, why);
    }
  }

  private String disabledMember(List<Integer> group) {
    for (int m : group) {
      if (settings.automationOf(state.vms[m].name()) == Automation.DISABLED) {
        return state.vms[m].name();
      }
    }
    return null;
  }

  // ---- (2) broken rules ----

  private void fixRules() {
    for (int v = 0; v < state.vms.length; v++) {
      int h = state.vmHost[v];
      if (h < 0 || busy.contains(v) || !state.hosts[h].mode().takesVms()) {
        continue;
      }
      String broken = rules.brokenRule(v, true);
      if (broken == null) {
        continue;
      }
      Automation a = settings.automationOf(state.vms[v].name());
      if (a == Automation.DISABLED) {
        blocked.put(state.vms[v].name(), broken + " (DRS is disabled for this VM)");
        continue;
      }
      moveToBest(List.of(v), h, Move.Kind.RULE, a == Automation.FULL, broken);
    }
  }

  // ---- shared by (1) and (2): the best allowed host for a group that must move ----

  private void moveToBest(List<Integer> group, int from, Move.Kind kind, boolean automatic, String why) {
    long memory = group.stream().mapToLong(m -> state.vms[m].memoryBytes()).sum();
    double cpu = group.stream().mapToDouble(m -> state.vms[m].cpuDemand()).sum();
    boolean keepsPreferences = bestHost(group, from, memory, cpu, true, false) >= 0;
    if (!keepsPreferences && bestHost(group, from, memory, cpu, false, false) < 0) {
      blocked.put(state.vms[group.get(0)].name(), "cannot move off " + state.hosts[from].name() + " (" + why + "): "
          + whyNoHost(group, from, memory));
      return;
    }
    // A preference gives way to a must-move only when no host keeps it.
    int best = hasCap(from) ? bestHost(group, from, memory, cpu, keepsPreferences, true) : -1;
    if (best >= 0) {
      apply(group, from, best, kind, automatic, why);
    } // else every allowed host is busy migrating: a later pass moves it
  }

  /**
   * The allowed host with the lowest resulting imbalance (-1 if none), among those with a free cap
   * if asked.
   */
  private int bestHost(List<Integer> group, int from, long memory, double cpu, boolean withShould, boolean capped) {
    int best = -1;
    double bestGain = Double.NEGATIVE_INFINITY;
    for (int h = 0; h < state.hosts.length; h++) {
      if (h == from || !state.hosts[h].mode().takesVms() || state.memoryFree(h) < memory
          || capped && !hasCap(h) || rules.violation(group, h, withShould) != null) {
        continue;
      }
      double g = state.gain(from, h, cpu);
      // Ties (e.g. no demand measured yet) go to the host with the most memory free.
      if (g > bestGain + 1e-12 || Math.abs(g - bestGain) <= 1e-12 && state.memoryFree(h) > state.memoryFree(best)) {
        bestGain = g;
        best = h;
      }
    }
    return best;
  }

  private String whyNoHost(List<Integer> group, int from, long memory) {
    List<String> reasons = new ArrayList<>();
    for (int h = 0; h < state.hosts.length && reasons.size() < 4; h++) {
      if (h == from) {
        continue;
      }
      String name = state.hosts[h].name();
      if (!state.hosts[h].mode().takesVms()) {
        reasons.add(name + " is " + state.hosts[h].mode().name().toLowerCase(Locale.ROOT).replace('_', ' '));
      } else if (state.memoryFree(h) < memory) {
        reasons.add(name + " has " + state.memoryFree(h) + " bytes free, needs " + memory);
      } else {
        String v = rules.violation(group, h, false);
        if (v != null) {
          reasons.add(name + ": " + v);
        }
      }
    }
    return reasons.isEmpty() ? "no other host" : String.join("; ", reasons);
  }

  // ---- (3) balancing ----

  private void balance() {
    double target = settings.targetImbalance();
    while (state.imbalance() > target && clusterMoves < settings.maxMovesPerCluster()) {
      Candidate c = bestBalancingMove();
      if (c == null || c.score < settings.minGain()) {
        return; // nothing left that is worth its cost
      }
      double before = state.imbalance();
      String reason = String.format(Locale.ROOT, "balance: %s load %.2f -> %.2f, %s load %.2f -> %.2f; imbalance %.3f"
          + " -> %.3f", state.hosts[c.from].name(), state.load(c.from), state.load(c.from) - c.cpu
          / state.hosts[c.from].cores(), state.hosts[c.to].name(), state.load(c.to), state.load(c.to) + c.cpu
          / state.hosts[c.to].cores(), before, state.imbalanceAfter(c.from, c.to, c.cpu));
      boolean automatic = c.unit.stream().allMatch(m -> settings.automationOf(state.vms[m].name()) == Automation.FULL);
      apply(c.unit, c.from, c.to, Move.Kind.BALANCE, automatic, reason);
    }
  }

  private record Candidate(List<Integer> unit, int from, int to, double cpu, double score) {}

  /** The key of a standing recommendation: moving {@code vm} from {@code from} to {@code to}. */
  public static String standing(String vm, String from, String to) {
    return vm + " " + from + " " + to;
  }

  private Candidate bestBalancingMove() {
    List<Integer> open = new ArrayList<>();
    for (int h = 0; h < state.hosts.length; h++) {
      if (state.hosts[h].mode().takesVms() && hasCap(h)) {
        open.add(h);
      }
    }
    open.sort(Comparator.comparingDouble(state::load));
    int k = Math.min(CANDIDATE_HOSTS, open.size());
    List<Integer> destinations = open.subList(0, k);
    List<Integer> sources = new ArrayList<>(open.subList(open.size() - k, open.size()));
    Candidate best = null;
    Candidate bestStanding = null;
    for (int from : sources) {
      for (int v : state.vmsOn.get(from)) {
        List<Integer> unit = rules.unit(v);
        if (unit.get(0) != v || !movable(unit, from)) {
          continue;
        }
        double cpu = 0;
        long memory = 0;
        for (int m : unit) {
          cpu += state.vms[m].cpuDemand();
          memory += state.vms[m].memoryBytes() + state.vms[m].activeMemoryBytes();
        }
        double costFactor = 1 + settings.costPerGiB() * memory / GIB;
        for (int to : destinations) {
          if (to == from || state.load(to) >= state.load(from)) {
            continue;
          }
          double score = state.gain(from, to, cpu) / costFactor;
          boolean better = best == null || score > best.score + 1e-12;
          boolean stands = standing.contains(standing(state.vms[v].name(), state.hosts[from].name(),
              state.hosts[to].name()));
          boolean betterStanding = stands && (bestStanding == null || score > bestStanding.score + 1e-12);
          if ((better || betterStanding) && fits(unit, to) && rules.violation(unit, to, true) == null) {
            Candidate c = new Candidate(unit, from, to, cpu, score);
            best = better ? c : best;
            bestStanding = betterStanding ? c : bestStanding;
          }
        }
      }
    }
    return bestStanding != null && bestStanding.score >= STANDING_SHARE * best.score ? bestStanding : best;
  }

  private boolean movable(List<Integer> unit, int from) {
    for (int m : unit) {
      long movedAt = state.vms[m].lastMovedAtMs();
      if (state.vmHost[m] != from || busy.contains(m)
          || settings.automationOf(state.vms[m].name()) == Automation.DISABLED
          || movedAt >= 0 && snapshot.nowMs() - movedAt < settings.hysteresisMs()) {
        return false;
      }
    }
    return true;
  }

  private boolean fits(List<Integer> unit, int to) {
    long memory = 0;
    for (int m : unit) {
      memory += state.vms[m].memoryBytes();
    }
    return state.memoryFree(to) >= memory;
  }

  // ---- bookkeeping ----

  private boolean hasCap(int h) {
    return hostMoves[h] < settings.maxMovesPerHost() && clusterMoves < settings.maxMovesPerCluster();
  }

  private void apply(List<Integer> group, int from, int to, Move.Kind kind, boolean automatic, String reason) {
    for (int m : group) {
      state.move(m, to);
      busy.add(m);
      moves.add(new Move(state.vms[m].name(), state.hosts[from].name(), state.hosts[to].name(), kind, automatic, reason));
    }
    hostMoves[from]++;
    hostMoves[to]++;
    clusterMoves++;
  }
}
