package io.roam.agent.migration;

import java.util.Optional;

/**
 * Where the cluster's hosts are, as their agents registered them (the host records in ZooKeeper):
 * the only source of a migration destination's address. A request names the destination; its
 * address never comes from the request, so a caller cannot point a migration, and every page of
 * the VM's memory, at a listener of its own. Implementations are thread-safe.
 */
public interface HostDirectory {
  /** A host's registered AgentService address; the data plane goes to the same address. */
  record Peer(String address, int port) {}

  Optional<Peer> find(String host) throws Exception;

  /** A directory that knows no host: every migration is refused (tests that never start one). */
  HostDirectory NONE = host -> Optional.empty();
}
