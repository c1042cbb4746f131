package io.roam.chaos;

import io.roam.it.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

/**
 * Injects a round's fault into the cluster and takes it away again ({@link #inject}), then brings
 * back anything still down ({@link #heal}): killed agents, masters and ZooKeeper servers are started
 * again, frozen processes continued, links brought up, fault files emptied. Used by the round loop
 * only (not thread-safe).
 */
public final class FaultInjector {
  private final ChaosCluster cluster;
  private final List<String> vms;

  public FaultInjector(ChaosCluster cluster, List<String> vms) {
    this.cluster = cluster;
    this.vms = vms;
  }

  /** Injects the fault and waits out its duration; returns a note ("" or why it was skipped). */
  public String inject(FaultPlan plan) throws Exception {
    LocalCluster c = cluster.local;
    switch (plan.kind()) {
      case HOST_KILL -> {
        cluster.killHost(plan.host());
        Thread.sleep(plan.durationMs());
      }
      case HOST_FREEZE -> {
        cluster.signalHost(plan.host(), "STOP");
        try {
          Thread.sleep(plan.durationMs());
        } finally {
          cluster.signalHost(plan.host(), "CONT");
        }
      }
      case LEADER_KILL -> {
        LocalCluster.Node leader = cluster.leader();
        if (leader == null) {
          return "skipped: no leader known";
        }
        LocalCluster.kill(leader);
        Thread.sleep(plan.durationMs());
        cluster.restartMaster(leader);
        return "killed " + leader.name;
      }
      case LEADER_FREEZE -> {
        LocalCluster.Node leader = cluster.leader();
        if (leader == null) {
          return "skipped: no leader known";
        }
        ChaosCluster.signal(List.of(leader.process.toHandle()), "STOP");
        try {
          Thread.sleep(plan.durationMs());
        } finally {
          ChaosCluster.signal(List.of(leader.process.toHandle()), "CONT");
        }
        return "froze " + leader.name;
      }
      case ZK_SERVER_LOSS -> {
        LocalCluster.kill(c.ensemble.get(plan.zkServer()));
        Thread.sleep(plan.durationMs());
        c.restartZooKeeperServer(plan.zkServer());
      }
      case NETWORK_CUT -> {
        if (cluster.net == null) {
          return "skipped: no network namespaces on this machine";
        }
        cluster.link(plan.host(), false);
        try {
          Thread.sleep(plan.durationMs());
        } finally {
          cluster.link(plan.host(), true);
        }
      }
      case MIGRATION_FAULT -> {
        return migrationFault(plan);
      }
      case SLOW_DATASTORE -> {
        Files.createDirectories(cluster.slowDatastoreFile().getParent());
        Files.writeString(cluster.slowDatastoreFile(), Long.toString(plan.durationMs() / 10));
        try {
          Thread.sleep(plan.durationMs());
        } finally {
          Files.deleteIfExists(cluster.slowDatastoreFile());
        }
      }
      default -> throw new IllegalStateException("unknown fault " + plan.kind());
    }
    return "";
  }

  /**
   * Arms the plan's fault point on the migration's source (or destination, for a destination point)
   * through its faults file, migrates the VM as an operator would, and disarms the point.
   */
  private String migrationFault(FaultPlan plan) throws Exception {
    String vm = vms.get(plan.vm());
    String source = cluster.local.vm(vm).path("host").asText();
    String destination = plan.destination();
    List<String> hosts = cluster.hosts();
    for (int i = 0; destination.equals(source) || !cluster.hostAlive(destination); i++) {
      if (i >= hosts.size()) {
        return "skipped: no destination host for " + vm;
      }
      destination = hosts.get((hosts.indexOf(destination) + 1) % hosts.size());
    }
    String armed = plan.point().startsWith("migration.dest.") ? destination : source;
    if (!cluster.hosts().contains(armed)) {
      return "skipped: " + vm + " has no host now";
    }
    Files.createDirectories(cluster.faultsFile(armed).getParent());
    Files.writeString(cluster.faultsFile(armed), "# round " + plan.round() + "\n" + plan.point() + "=" + plan.action() + "\n");
    try {
      LocalCluster.Result r = cluster.local.ctl("-o", "json", "vm", "migrate", vm, "--to", destination, "--wait");
      String outcome;
      try {
        com.fasterxml.jackson.databind.JsonNode m = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        outcome = m.path("status").asText().isEmpty() ? "migrate: " + firstLine(r.err())
            : "migration " + m.path("status").asText() + (m.path("error").asText().isEmpty() ? ""
                : " (" + m.path("error").asText() + ")");
      } catch (IOException | RuntimeException e) {
        outcome = "migrate failed: " + firstLine(r.err());
      }
      return vm + " " + source + " -> " + destination + ", armed on " + armed + ": " + outcome;
    } finally {
      Files.writeString(cluster.faultsFile(armed), "");
    }
  }

  private static String firstLine(String s) {
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl);
  }

  /** Brings back everything the round left down; returns what it had to restart. */
  public String heal() throws IOException, InterruptedException {
    StringBuilder done = new StringBuilder();
    LocalCluster c = cluster.local;
    for (int i = 0; i < c.ensemble.size(); i++) {
      if (!c.ensemble.get(i).process.isAlive()) {
        c.restartZooKeeperServer(i);
        done.append(" zk").append(i + 1);
      }
    }
    for (LocalCluster.Node m : List.copyOf(c.masters)) {
      if (!m.process.isAlive()) {
        cluster.restartMaster(m);
        done.append(' ').append(m.name);
      } else {
        ChaosCluster.signal(List.of(m.process.toHandle()), "CONT");
      }
    }
    for (String h : cluster.hosts()) {
      if (cluster.net != null) {
        cluster.link(h, true);
      }
      Files.createDirectories(cluster.faultsFile(h).getParent());
      Files.writeString(cluster.faultsFile(h), "");
      if (!cluster.hostAlive(h)) {
        cluster.startHost(h);
        done.append(' ').append(h);
      } else {
        cluster.signalHost(h, "CONT");
      }
    }
    Files.deleteIfExists(cluster.slowDatastoreFile());
    return done.toString().strip();
  }
}
