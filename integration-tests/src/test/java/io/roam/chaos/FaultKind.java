package io.roam.chaos;

/** The faults a chaos round can inject (one per round). */
public enum FaultKind {
  HOST_KILL("kill -9 of a host (agent and VMs)"),
  HOST_FREEZE("SIGSTOP of a whole host, then SIGCONT"),
  LEADER_KILL("kill -9 of the leader master"),
  LEADER_FREEZE("SIGSTOP of the leader master, then SIGCONT"),
  ZK_SERVER_LOSS("a ZooKeeper server killed, later restarted"),
  NETWORK_CUT("a host's network link down, then up"),
  MIGRATION_FAULT("a fault point inside a migration"),
  SLOW_DATASTORE("the kv log's force() stalls");

  public final String description;

  FaultKind(String description) {
    this.description = description;
  }
}
