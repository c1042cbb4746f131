package io.roam.common.model;

/**
 * What an agent says about its host in ZooKeeper (/roam/hosts/&lt;name&gt;).
 *
 * @param vmAddresses whether the agent can put VM addresses on its interface (agent.vm-interface set,
 *     CAP_NET_ADMIN, the interface present; checked at start-up); records of older agents read false
 */
public record HostRecord(String name, String address, int port, int cores, long memoryBytes, String datastore,
    boolean vmAddresses) {

  /** A host that cannot manage VM addresses. */
  public HostRecord(String name, String address, int port, int cores, long memoryBytes, String datastore) {
    this(name, address, port, cores, memoryBytes, datastore, false);
  }
}
