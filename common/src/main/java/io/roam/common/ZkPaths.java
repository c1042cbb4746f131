package io.roam.common;

/**
 * Roam's ZooKeeper layout (one place, so the master and the agent agree):
 *
 * <pre>
 * /roam/leader               Curator LeaderSelector latch
 * /roam/leader-info          the leader's id, address and epoch (JSON), for redirects
 * /roam/epoch                leader epoch counter; grows by one per leadership term
 * /roam/hosts/&lt;host&gt;         host record (JSON HostRecord), written by the agent
 * /roam/hosts/&lt;host&gt;/live    ephemeral: the agent's session
 * /roam/hosts/&lt;host&gt;/control maintenance / standby mode set by operators and DPM (JSON, master)
 * /roam/hosts/&lt;host&gt;/power   the name of the host's power driver (defined in the masters' power.drivers)
 * /roam/hosts/&lt;host&gt;/state   the leader's verdict: connected, not-responding, isolated, failed, ...
 * /roam/config/rules         DRS rules (JSON list)
 * /roam/config/scheduler     DRS/DPM settings changed at run time (JSON)
 * /roam/vms/&lt;vm&gt;             VM record (JSON VmRecord): spec and desired state
 * /roam/vms/&lt;vm&gt;/owner       {host, epoch}: where the VM may run; changed only by compare-and-set
 * /roam/vms/&lt;vm&gt;/endpoint    host:port of the VM's service, published by the owning agent
 * /roam/events/e-&lt;seq&gt;       events (JSON EventRecord), persistent sequential; the oldest are trimmed
 * /roam/tasks/&lt;id&gt;           long operations the leader follows (JSON, master), changed by compare-and-set
 * </pre>
 */
public final class ZkPaths {
  public static final String ROOT = "/roam";
  public static final String LEADER = ROOT + "/leader";
  public static final String LEADER_INFO = ROOT + "/leader-info";
  public static final String EPOCH = ROOT + "/epoch";
  public static final String HOSTS = ROOT + "/hosts";
  public static final String VMS = ROOT + "/vms";
  public static final String EVENTS = ROOT + "/events";
  public static final String EVENT_PREFIX = EVENTS + "/e-";
  public static final String CONFIG = ROOT + "/config";
  public static final String RULES = CONFIG + "/rules";
  public static final String SCHEDULER = CONFIG + "/scheduler";
  public static final String TASKS = ROOT + "/tasks";

  private ZkPaths() {}

  /**
   * The node of a host. Every host and VM path is made here and in {@link #vm}, which check the name
   * rule ({@link Names}): a name from a request never reaches ZooKeeper (or a file) as "../x".
   */
  public static String host(String host) {
    return HOSTS + "/" + Names.requireHost(host);
  }

  public static String hostLive(String host) {
    return host(host) + "/live";
  }

  public static String hostControl(String host) {
    return host(host) + "/control";
  }

  public static String hostPower(String host) {
    return host(host) + "/power";
  }

  public static String hostState(String host) {
    return host(host) + "/state";
  }

  public static String vm(String vm) {
    return VMS + "/" + Names.requireVm(vm);
  }

  public static String vmOwner(String vm) {
    return vm(vm) + "/owner";
  }

  public static String vmEndpoint(String vm) {
    return vm(vm) + "/endpoint";
  }
}
