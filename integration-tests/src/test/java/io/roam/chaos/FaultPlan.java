package io.roam.chaos;

import java.util.List;
import java.util.Random;

/**
 * One round's fault, drawn from the run's seeded Random so that a seed replays the same schedule:
 * the kind, its target (host, ZooKeeper server, VM), how long it lasts, and for a migration fault
 * the point and action. Pure data; {@link #draw} is a pure function of the Random's state.
 */
public record FaultPlan(int round, FaultKind kind, String host, int zkServer, int vm, String destination,
    long durationMs, String point, String action) {

  /** The migration fault points, in the order of the phases of a migration. */
  public static final List<String> POINTS = List.of("migration.source.afterPrepare", "migration.source.duringPrecopy",
      "migration.source.beforeCas", "migration.source.afterCas", "migration.dest.onPages");

  public static FaultPlan draw(int round, Random r, List<String> hosts, int vmCount) {
    FaultKind kind = FaultKind.values()[r.nextInt(FaultKind.values().length)];
    String host = hosts.get(r.nextInt(hosts.size()));
    String destination = hosts.get(r.nextInt(hosts.size()));
    int zk = r.nextInt(3);
    int vm = r.nextInt(vmCount);
    // Below and above the ZooKeeper session timeout (4 s) plus the VM lease (3 s).
    long duration = 1_000 + r.nextInt(14_000);
    String point = POINTS.get(r.nextInt(POINTS.size()));
    String action = r.nextBoolean() ? "crash" : "fail";
    return new FaultPlan(round, kind, host, zk, vm, destination, duration, point, action);
  }

  /** What the round does, in one line. */
  public String describe() {
    return switch (kind) {
      case HOST_KILL -> "kill -9 " + host + ", back after " + durationMs + " ms";
      case HOST_FREEZE -> "SIGSTOP " + host + " for " + durationMs + " ms";
      case LEADER_KILL -> "kill -9 the leader master, back after " + durationMs + " ms";
      case LEADER_FREEZE -> "SIGSTOP the leader master for " + durationMs + " ms";
      case ZK_SERVER_LOSS -> "kill ZooKeeper server " + (zkServer + 1) + ", back after " + durationMs + " ms";
      case NETWORK_CUT -> "cut " + host + " off the network for " + durationMs + " ms";
      case MIGRATION_FAULT -> point + "=" + action + " while migrating VM #" + vm + " (to another host)";
      case SLOW_DATASTORE -> "the kv log sleeps " + (durationMs / 10) + " ms before each force, for " + durationMs + " ms";
    };
  }
}
