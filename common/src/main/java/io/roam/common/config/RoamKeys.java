package io.roam.common.config;

import io.roam.common.Sizes;
import java.lang.management.ManagementFactory;
import java.util.List;

/** Every setting Roam knows, in one place. conf/roam.yaml in the distribution shows them all. */
public final class RoamKeys {
  private RoamKeys() {}

  // ---- ZooKeeper (masters and agents) ----
  public static final ConfigKey<String> ZK = ConfigKey.string("zk", "zk", "",
      "ZooKeeper connect string host:port,...; empty on a master starts an embedded server, empty on an agent"
          + " connects to that server on this machine (127.0.0.1:zk.embedded.port); in YAML, zk: {connect: ...}"
          + " when zk.embedded.* is set too");
  /**
   * 2 s: with the 1.5 s lease and the 0.75 s failover delay HA restarts a dead host's VMs about 3 s
   * after the kill, with a 1.25 s margin (docs/DESIGN.md "Time": session + failover delay >= lease +
   * half a lease). Not 1.5 s: on a 2-core machine under load, a fresh JVM's TLS handshake with
   * ZooKeeper took longer than that and its first sessions expired while it connected. The server
   * grants 2 to 20 of its ticks: the embedded one ticks every 250 ms; an ensemble needs tickTime
   * <= 1000 for this default (a larger grant is safe, only slower).
   */
  public static final ConfigKey<Integer> ZK_SESSION_TIMEOUT_MS = ConfigKey.integer("zk.session-timeout-ms",
      "zk-session-timeout-ms", 2_000, 500, 120_000, "ZooKeeper session timeout (HA detects a dead host by it);"
          + " as the server grants it (2 to 20 of its ticks: the embedded server ticks every 250 ms, an ensemble should"
          + " have tickTime=500) at least agent.lease-ms");
  public static final ConfigKey<Integer> ZK_EMBEDDED_PORT = ConfigKey.port("zk.embedded.port", "zk-port", 2181,
      "client port of the embedded ZooKeeper server (master without --zk; an agent without --zk connects to"
          + " 127.0.0.1 at this port)");
  public static final ConfigKey<String> ZK_EMBEDDED_DIR = ConfigKey.string("zk.embedded.dir", "zk-dir", "data/zk",
      "data directory of the embedded ZooKeeper server");

  // ---- TLS (every process: masters, agents, roamctl) ----
  public static final ConfigKey<String> TLS_CA = ConfigKey.string("tls.ca", "tls-ca", "",
      "PEM file of the cluster CA certificate(s) this process trusts (roamctl pki init)");
  public static final ConfigKey<String> TLS_CERT = ConfigKey.string("tls.cert", "tls-cert", "",
      "PEM file of this process's certificate (roamctl pki issue master|agent NAME --san ADDRESS); its subject"
          + " alternative names must include the address it serves at");
  public static final ConfigKey<String> TLS_KEY = ConfigKey.string("tls.key", "tls-key", "",
      "PEM file of this process's private key, mode 0600; a master or agent without the three TLS files refuses to"
          + " start (exit code 2)");

  // ---- master ----
  public static final ConfigKey<String> MASTER_ID = ConfigKey.string("master.id", "id", "",
      "this master's name in elections (default: address:port)");
  public static final ConfigKey<String> MASTER_ADDRESS = ConfigKey.string("master.address", "address", "127.0.0.1",
      "address the master's gRPC server binds and advertises");
  public static final ConfigKey<Integer> MASTER_PORT = ConfigKey.port("master.port", "port", 7700,
      "gRPC port of ClusterService");
  public static final ConfigKey<Integer> MASTER_METRICS_PORT = ConfigKey.integer("master.metrics-port", "metrics-port",
      7780, -1, 65535, "HTTPS port of the master's Prometheus endpoint /metrics (mutual TLS: a certificate of the"
          + " cluster CA whose role may read, e.g. viewer); 0: any free port (logged); -1: no metrics endpoint");
  public static final ConfigKey<Integer> MASTER_DASHBOARD_PORT = ConfigKey.integer("master.dashboard-port",
      "dashboard-port", 7790, -1, 65535, "HTTPS port of the web dashboard, served by the leader (standbys redirect to"
          + " it); open it with `roamctl dashboard` or a client certificate of the cluster CA; 0: any free port"
          + " (logged); -1: no dashboard");

  // ---- VM network identity (masters) ----
  public static final ConfigKey<io.roam.common.net.AddressPool> VM_ADDRESS_POOL = new ConfigKey<>("vm.address-pool",
      "vm-address-pool", io.roam.common.net.AddressPool.NONE, io.roam.common.net.AddressPool::parse,
      "empty, or IPv4 networks in CIDR notation separated by commas, such as 10.0.0.0/24",
      "addresses VMs may have (roamctl vm create --ip ADDRESS/PREFIX); empty: VMs have no addresses of their own");

  // ---- live migration: cluster defaults, used by the leader when a request leaves them unset ----
  public static final ConfigKey<Long> MIGRATION_DOWNTIME_LIMIT_MS = ConfigKey.millis("migration.downtime-limit-ms",
      "migration-downtime-limit-ms", 300, 1, "default downtime limit of a live migration");
  public static final ConfigKey<Long> MIGRATION_MAX_BANDWIDTH = ConfigKey.sizeZeroOrAtLeast("migration.max-bandwidth",
      "migration-max-bandwidth", 0, io.roam.common.model.MigrationLimits.MIN_BANDWIDTH,
      "default cap on a migration's copy rate, bytes per second (0: unlimited; else at least 1 MiB, also for a"
          + " request's --max-bandwidth); a cancel ends a paced copy at once");
  public static final ConfigKey<Boolean> MIGRATION_AUTO_CONVERGE = ConfigKey.bool("migration.auto-converge",
      "migration-auto-converge", true, "throttle a VM whose pre-copy rounds stop shrinking");
  public static final ConfigKey<Long> MIGRATION_MAX_TIME_MS = ConfigKey.millis("migration.max-time-ms",
      "migration-max-time-ms", 600_000, 1000, io.roam.common.model.MigrationLimits.MAX_TOTAL_MILLIS, "default time after which a migration gives up (the VM stays put); at most 24 h, also for a request's");

  // ---- events (masters and agents: every writer of the event log trims it) ----
  public static final ConfigKey<Integer> EVENTS_KEEP = ConfigKey.integer("events.keep", "events-keep", 10_000, 100,
      1_000_000, "the cluster's event log keeps this many of its newest events; every writer (masters and agents) trims it,"
          + " so set it the same for both; messages are cut at 2000 characters with a marker");

  // ---- HA ----
  public static final ConfigKey<Boolean> HA_ENABLED = ConfigKey.bool("ha.enabled", "ha", true,
      "restart the VMs of failed hosts elsewhere and crashed VMs in place");
  public static final ConfigKey<Long> HA_FAILOVER_DELAY_MS = ConfigKey.millis("ha.failover-delay-ms",
      "ha-failover-delay-ms", 750, 0, "wait this long after a host's session expired before restarting its VMs"
          + " (at least half the agents' lease: the lease rule's margin)");
  public static final ConfigKey<Integer> HA_RESTART_LIMIT = ConfigKey.integer("ha.restart-limit", "ha-restart-limit", 3,
      0, 1000, "restarts in place of one VM within 10 minutes");

  public static final ConfigKey<Integer> HA_HOST_FAILURES = ConfigKey.integer("ha.host-failures", "ha-host-failures", 1,
      0, 100, "admission control: keep room to restart every VM after this many host failures (0: no check)");
  public static final ConfigKey<Long> HA_VM_HEARTBEAT_TIMEOUT_MS = ConfigKey.millis("ha.vm-heartbeat-timeout-ms",
      "ha-vm-heartbeat-timeout-ms", 30_000, 0, "a running VM whose heartbeat counter is stuck this long is restarted"
          + " in place (0: never)");
  public static final ConfigKey<Long> HA_HEARTBEAT_TIMEOUT_MS = ConfigKey.millis("ha.heartbeat-timeout-ms",
      "ha-heartbeat-timeout-ms", 3_000, 500, "a host whose heartbeat stream is silent this long is not responding");

  // ---- DRS and DPM (the leader's resource scheduler) ----
  public static final ConfigKey<Integer> DRS_THRESHOLD = ConfigKey.integer("drs.threshold", "drs-threshold", 3, 1, 5,
      "migration threshold, 1 (only mandatory moves) to 5 (even slight improvements)");
  public static final ConfigKey<String> DRS_AUTOMATION = ConfigKey.string("drs.automation", "drs-automation", "full",
      "manual (recommend only), partial (place new VMs, recommend moves) or full");
  public static final ConfigKey<Long> DRS_INTERVAL_MS = ConfigKey.millis("drs.interval-ms", "drs-interval-ms", 300_000,
      500, "how often DRS and DPM plan (vSphere: 5 minutes)");
  public static final ConfigKey<Long> DRS_DEMAND_WINDOW_MS = ConfigKey.millis("drs.demand-window-ms",
      "drs-demand-window-ms", 300_000, 1_000, "VM CPU demand is averaged over this window");
  public static final ConfigKey<Long> DRS_HYSTERESIS_MS = ConfigKey.millis("drs.hysteresis-ms", "drs-hysteresis-ms",
      1_800_000, 0, "a VM moved this recently is not moved again to balance load");
  public static final ConfigKey<Integer> DRS_MAX_MOVES_PER_HOST = ConfigKey.integer("drs.max-moves-per-host",
      "drs-max-moves-per-host", 4, 1, 64, "live migrations one host takes part in at a time");
  public static final ConfigKey<Integer> DRS_MAX_MOVES = ConfigKey.integer("drs.max-moves", "drs-max-moves", 8, 1, 1024,
      "live migrations in the whole cluster at a time");
  public static final ConfigKey<String> DPM_LEVEL = ConfigKey.string("dpm.level", "dpm-level", "off",
      "off, manual (recommend power actions) or automatic");
  public static final ConfigKey<Integer> DPM_TARGET_PERCENT = ConfigKey.integer("dpm.target-percent",
      "dpm-target-percent", 63, 1, 99, "powered-on CPU utilization DPM aims for");
  public static final ConfigKey<Integer> DPM_TOLERANCE_PERCENT = ConfigKey.integer("dpm.tolerance-percent",
      "dpm-tolerance-percent", 18, 0, 98, "half-width of DPM's band around the target");
  public static final ConfigKey<Long> DPM_POWER_ON_WINDOW_MS = ConfigKey.millis("dpm.power-on-window-ms",
      "dpm-power-on-window-ms", 300_000, 1_000, "demand window for powering hosts on");
  public static final ConfigKey<Long> DPM_POWER_OFF_WINDOW_MS = ConfigKey.millis("dpm.power-off-window-ms",
      "dpm-power-off-window-ms", 2_400_000, 1_000, "demand window for powering hosts off");
  public static final ConfigKey<Long> DPM_WAKE_TIMEOUT_MS = ConfigKey.millis("dpm.wake-timeout-ms",
      "dpm-wake-timeout-ms", 600_000, 1_000, "a woken host whose agent is not back within this is marked wake-failed");
  public static final ConfigKey<Integer> DPM_MIN_HOSTS = ConfigKey.integer("dpm.min-hosts", "dpm-min-hosts", 1, 1, 10_000,
      "hosts DPM keeps on whatever the demand");
  public static final ConfigKey<String> POWER_DRIVERS = ConfigKey.string("power.drivers", "power-drivers", "",
      "YAML file defining the power drivers, name -> {driver: ipmi, bmc, user, password-file} (the password"
          + " file must be mode 0600), {driver: wol, mac, broadcast} or {driver: process, command: [...], pid-file};"
          + " read again at each use; `roamctl host power-driver HOST --name NAME` only selects one (the API can never"
          + " define a driver: a driver runs commands on the master); empty: none");
  public static final ConfigKey<Long> CHECK_MAX_CLOCK_SKEW_MS = ConfigKey.millis("check.max-clock-skew-ms",
      "check-max-clock-skew-ms", 250, 1, "roamctl cluster check fails a host whose wall clock is further than this"
          + " from the leader master's (the step witness and the event log compare wall-clock times across hosts)");
  public static final ConfigKey<String> POWER_IPMITOOL = ConfigKey.string("power.ipmitool", "ipmitool", "ipmitool",
      "the ipmitool command the ipmi power driver runs");

  // ---- agent ----
  public static final ConfigKey<String> AGENT_NAME = ConfigKey.string("agent.name", "name", defaultHostName(),
      "host name registered in ZooKeeper");
  public static final ConfigKey<String> AGENT_ADDRESS = ConfigKey.string("agent.address", "address", "127.0.0.1",
      "address the agent binds, advertises, and gives its VMs for their services");
  public static final ConfigKey<Integer> AGENT_PORT = ConfigKey.port("agent.port", "port", 7701,
      "gRPC port of AgentService");
  public static final ConfigKey<Integer> AGENT_METRICS_PORT = ConfigKey.integer("agent.metrics-port", "metrics-port",
      7781, -1, 65535, "HTTPS port of the agent's Prometheus endpoint /metrics (mutual TLS as master.metrics-port);"
          + " 0: any free port (logged and published in the host record: roamctl host ls -o json); -1: none");
  public static final ConfigKey<Integer> AGENT_MIGRATION_PORT = ConfigKey.port("agent.migration-port", "migration-port", 0,
      "TCP port of the live-migration data plane (0: any free port, told to the source when it prepares)");
  public static final ConfigKey<String> MIGRATION_ENCRYPTION = ConfigKey.string("migration.encryption",
      "migration-encryption", "tls", "the migration data plane: tls (pages encrypted) or off (peers still authenticate"
          + " each other over TLS, then pages go in plaintext; only when both agents say off; trusted networks only)");
  public static final ConfigKey<Integer> AGENT_CORES = ConfigKey.integer("agent.cores", "cores",
      Runtime.getRuntime().availableProcessors(), 1, 4096, "cores offered to VMs");
  public static final ConfigKey<Long> AGENT_MEMORY = ConfigKey.size("agent.memory", "memory", defaultAgentMemory(),
      16 * Sizes.MIB, "guest memory offered to VMs; creation beyond it is refused");
  public static final ConfigKey<String> AGENT_MEMORY_DIR = ConfigKey.string("agent.memory-dir", "memory-dir",
      "/dev/shm/roam", "directory of guest memory files (a tmpfs; files 0600 in a directory created 0700); the agent refuses to start"
          + " (exit 2) if it, or its run/ socket directory, is owned by another user or open to group or others");
  public static final ConfigKey<String> AGENT_DATA_DIR = ConfigKey.string("agent.data-dir", "data-dir", "data/agent",
      "agent state, VM logs and control sockets (relative: from the working directory)");
  public static final ConfigKey<String> AGENT_DATASTORE = ConfigKey.string("agent.datastore", "datastore",
      "data/datastore", "shared datastore directory (NFS on a rack)");
  public static final ConfigKey<Long> AGENT_VM_HEAP = ConfigKey.size("agent.vm-heap", "vm-heap", 64 * Sizes.MIB,
      16 * Sizes.MIB, "Java heap of each VM process (guest state lives in guest memory, not here)");
  /**
   * A cluster setting: agents run their VMs' leases with it, and masters read it too (same key,
   * same roam.yaml) to check at start-up that the failover delay is at least the lease.
   */
  public static final ConfigKey<Long> AGENT_LEASE_MS = ConfigKey.millis("agent.lease-ms", "lease-ms", 1_500, 200,
      "VM lease length, counted from the agent's last ZooKeeper contact; renewed every third of it while the"
          + " session is healthy; masters read it to check ha.failover-delay-ms >= lease/2 (set it the same for"
          + " masters and agents)");
  public static final ConfigKey<Long> AGENT_VM_LOG_MAX_BYTES = ConfigKey.size("agent.vm-log-max-bytes",
      "vm-log-max-bytes", 10 * Sizes.MIB, 64 * Sizes.KIB, "a VM's log (its output) is rotated when it reaches this size");
  public static final ConfigKey<Integer> AGENT_VM_LOG_FILES = ConfigKey.integer("agent.vm-log-files", "vm-log-files", 3,
      1, 100, "files of a VM's log kept, the current one included (<vm>.log, <vm>.log.1, ...)");
  public static final ConfigKey<Boolean> AGENT_WITNESS = ConfigKey.bool("agent.witness", "witness", false,
      "VMs append (host, pid, time) to a witness log on the datastore while they step, so that tests and chaos"
          + " runs can prove no VM ever ran twice at once");
  public static final ConfigKey<Long> AGENT_WITNESS_PERIOD_MS = ConfigKey.millis("agent.witness-period-ms",
      "witness-period-ms", 50, 0, "with agent.witness, how long a run of steps a VM records as one witness line"
          + " (0: one line per step); a line is always written before the VM stops stepping");
  public static final ConfigKey<String> AGENT_SHUTDOWN_COMMAND = ConfigKey.string("agent.shutdown-command",
      "shutdown-command", "", "what the agent runs when the master powers the host off through it (wol driver);"
          + " empty: the agent process exits");

  public static final ConfigKey<String> AGENT_VM_INTERFACE = ConfigKey.string("agent.vm-interface", "vm-interface", "",
      "network interface the agent puts its VMs' own addresses on (ip addr add) and announces them from (arping);"
          + " needs CAP_NET_ADMIN; empty, or without the capability or the interface (said in one line at start-up):"
          + " VMs with an address are refused on this host and placed elsewhere");

  public static final ConfigKey<String> AGENT_JAR_DIRS = ConfigKey.string("agent.jar-dirs", "jar-dirs",
      "lib/programs", "comma-separated directories user programs (vm create --jar) may come from; a jar elsewhere"
          + " is refused (relative paths: from the agent's working directory, the distribution's root)");

  public static final ConfigKey<String> AGENT_VM_CDS_DIR = ConfigKey.string("agent.vm-cds-dir", "vm-cds-dir", "",
      "directory of the class data sharing archive VM JVMs boot from, made once by the agent (per JDK and jars);"
          + " agents of one machine may share it; empty: <agent.data-dir>/cds");

  public static final ConfigKey<Integer> AGENT_VM_POOL_SIZE = ConfigKey.integer("agent.vm-pool-size", "vm-pool-size", 4,
      0, 64, "VM JVMs the agent keeps started ahead of need, waiting without a VM (not VMs: not listed, no guest"
          + " memory; about 30 MiB of RAM each), so that a start, an HA restart above all, skips the JVM's own"
          + " start-up; refilled one at a time once no VM has started for 2 s; they exit with the agent; 0: none. HA"
          + " restarts beyond the pool launch JVMs as before: a host that should take over N VMs of a failed host at"
          + " once needs a pool of N; the leader advises a larger pool when HA would restart more here at once"
          + " (up to agent.vm-pool-max)");

  public static final ConfigKey<Integer> AGENT_VM_POOL_MAX = ConfigKey.integer("agent.vm-pool-max", "vm-pool-max", 16,
      0, 64, "the most VM JVMs the agent keeps waiting when the leader advises more than agent.vm-pool-size: the"
          + " leader advises each host the most VMs HA would restart on it at once if any one other host failed"
          + " (recomputed every 5 s), so that a failover takes them all from the pool; about 30 MiB of RAM each; must"
          + " be at least agent.vm-pool-size; equal to it: the pool keeps its configured size");

  public static final List<ConfigKey<?>> MASTER = List.of(ZK, ZK_SESSION_TIMEOUT_MS, TLS_CA, TLS_CERT, TLS_KEY, ZK_EMBEDDED_PORT,
      ZK_EMBEDDED_DIR, MASTER_ID, MASTER_ADDRESS, MASTER_PORT, MASTER_METRICS_PORT, MASTER_DASHBOARD_PORT, MIGRATION_DOWNTIME_LIMIT_MS, MIGRATION_MAX_BANDWIDTH,
      MIGRATION_AUTO_CONVERGE, MIGRATION_MAX_TIME_MS, HA_ENABLED, HA_FAILOVER_DELAY_MS, HA_RESTART_LIMIT,
      HA_HOST_FAILURES, HA_HEARTBEAT_TIMEOUT_MS, HA_VM_HEARTBEAT_TIMEOUT_MS, DRS_THRESHOLD, DRS_AUTOMATION, DRS_INTERVAL_MS, DRS_DEMAND_WINDOW_MS,
      DRS_HYSTERESIS_MS, DRS_MAX_MOVES_PER_HOST, DRS_MAX_MOVES, DPM_LEVEL, DPM_TARGET_PERCENT, DPM_TOLERANCE_PERCENT,
      DPM_POWER_ON_WINDOW_MS, DPM_POWER_OFF_WINDOW_MS, DPM_WAKE_TIMEOUT_MS, DPM_MIN_HOSTS, POWER_IPMITOOL,
      AGENT_LEASE_MS, EVENTS_KEEP, POWER_DRIVERS, CHECK_MAX_CLOCK_SKEW_MS, VM_ADDRESS_POOL);
  public static final List<ConfigKey<?>> AGENT = List.of(ZK, ZK_SESSION_TIMEOUT_MS, TLS_CA, TLS_CERT, TLS_KEY, ZK_EMBEDDED_PORT, AGENT_NAME, AGENT_ADDRESS,
      AGENT_PORT, AGENT_METRICS_PORT, AGENT_MIGRATION_PORT, MIGRATION_ENCRYPTION, AGENT_CORES, AGENT_MEMORY, AGENT_MEMORY_DIR, AGENT_DATA_DIR, AGENT_DATASTORE, AGENT_VM_HEAP,
      AGENT_LEASE_MS, AGENT_SHUTDOWN_COMMAND, AGENT_WITNESS,
      AGENT_WITNESS_PERIOD_MS, EVENTS_KEEP, AGENT_VM_LOG_MAX_BYTES, AGENT_VM_LOG_FILES, AGENT_JAR_DIRS, AGENT_VM_INTERFACE, AGENT_VM_CDS_DIR,
      AGENT_VM_POOL_SIZE, AGENT_VM_POOL_MAX);
  /** Every key once, masters' first (for conf/roam.yaml and the docs). */
  public static final List<ConfigKey<?>> ALL = java.util.stream.Stream.concat(MASTER.stream(), AGENT.stream())
      .distinct().toList();

  private static String defaultHostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }

  /** Half of physical memory: the rest is for the agent, the VMs' JVMs and the OS. */
  private static long defaultAgentMemory() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return Math.max(16 * Sizes.MIB, sun.getTotalMemorySize() / 2);
    }
    return 4 * Sizes.GIB;
  }
}
