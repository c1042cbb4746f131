package io.roam.common.model;

/**
 * What an agent says about its host in ZooKeeper (/roam/hosts/&lt;name&gt;).
 *
 * @param vmAddresses whether the agent can put VM addresses on its interface (agent.vm-interface set,
 *     CAP_NET_ADMIN, the interface present; checked at start-up); records of older agents read false
 * @param metricsPort the port of the agent's Prometheus endpoint (HTTPS at {@code address}), so that
 *     an ephemeral one (agent.metrics-port 0) can be found; 0: none (turned off, or an older agent)
 */
public record HostRecord(String name, String address, int port, int cores, long memoryBytes, String datastore,
    boolean vmAddresses, int metricsPort) {

  /** A host without a metrics endpoint. */
  public HostRecord(String name, String address, int port, int cores, long memoryBytes, String datastore,
      boolean vmAddresses) {
    this(name, address, port, cores, memoryBytes, datastore, vmAddresses, 0);
  }

  /** A host that cannot manage VM addresses. */
  public HostRecord(String name, String address, int port, int cores, long memoryBytes, String datastore) {
    this(name, address, port, cores, memoryBytes, datastore, false);
  }
}
