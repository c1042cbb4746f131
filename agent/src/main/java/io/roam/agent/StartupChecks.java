package io.roam.agent;

import io.roam.common.DatastoreHeartbeats;
import io.roam.common.Sizes;
import io.roam.common.config.ConfigException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What an agent checks about its host before it joins the cluster, for mistakes that are easy to
 * make in containers and on racks and would otherwise show up much later as odd failures: an address
 * that is not the host's own (peers would reach another machine, or none), guest memory that cannot
 * fit in the memory directory's file system (a container's small /dev/shm: VMs would die of SIGBUS
 * when they touch their memory), and a datastore that other live hosts do not share (HA could not
 * tell a dead host from an isolated one, and restarted VMs would not find their disks).
 *
 * <p>Each check returns one line naming what to change, or empty; the agent stops with exit code 2
 * (a configuration error) on the first. Stateless.
 */
final class StartupChecks {
  private StartupChecks() {}

  /** Throws the first problem as a {@link ConfigException}. */
  static void require(Optional<String> problem) {
    problem.ifPresent(p -> {
      throw new ConfigException(p);
    });
  }

  /** The addresses of this host's interfaces (up or not: an address being configured is still ours). */
  static Set<InetAddress> localAddresses() throws SocketException {
    Set<InetAddress> out = new HashSet<>();
    for (NetworkInterface nif : NetworkInterface.networkInterfaces().toList()) {
      out.addAll(nif.inetAddresses().toList());
    }
    return out;
  }

  /**
   * {@code agent.address} must name this host: the agent binds it and advertises it to masters,
   * other agents and VM clients. A wildcard address binds but cannot be advertised.
   */
  static Optional<String> ownAddressProblem(String address, Set<InetAddress> local) {
    InetAddress[] resolved;
    try {
      resolved = InetAddress.getAllByName(address);
    } catch (UnknownHostException e) {
      return Optional.of("agent.address '" + address + "' does not resolve on this host: set --address"
          + " (ROAM_AGENT_ADDRESS) to this host's own name or IP address");
    }
    for (InetAddress a : resolved) {
      if (a.isAnyLocalAddress()) {
        return Optional.of("agent.address '" + address + "' is a wildcard address, which peers cannot reach:"
            + " set --address (ROAM_AGENT_ADDRESS) to this host's own name or IP address");
      }
    }
    for (InetAddress a : resolved) {
      if (local.contains(a)) {
        return Optional.empty();
      }
    }
    String ours = local.stream().filter(a -> !a.isLinkLocalAddress()).map(InetAddress::getHostAddress).sorted()
        .collect(Collectors.joining(", "));
    return Optional.of("agent.address '" + address + "' (" + List.of(resolved).stream().map(InetAddress::getHostAddress)
        .collect(Collectors.joining(", ")) + ") is not an address of this host (" + ours + "): set --address"
        + " (ROAM_AGENT_ADDRESS) to this host's own name or IP address");
  }

  /**
   * The guest memory offered ({@code agent.memory}) must fit in the file system of the memory
   * directory (a tmpfs: /dev/shm, which a container gets only 64 MiB of unless told otherwise).
   */
  static Optional<String> memoryRoomProblem(Path memoryDir, long memory, long fileSystemSize) {
    if (memory <= fileSystemSize) {
      return Optional.empty();
    }
    return Optional.of("agent.memory is " + Sizes.format(memory) + " but the memory directory " + memoryDir
        + " is on a file system of only " + Sizes.format(fileSystemSize) + ": give the host a larger /dev/shm"
        + " (docker: shm_size) or lower agent.memory (--memory)");
  }

  /** The pool's floor must not exceed its ceiling: which one to trust is the operator's call. */
  static Optional<String> vmPoolProblem(int size, int max) {
    if (size <= max) {
      return Optional.empty();
    }
    return Optional.of("agent.vm-pool-size is " + size + " but agent.vm-pool-max is " + max + ": raise"
        + " agent.vm-pool-max (--vm-pool-max) to at least " + size + " or lower agent.vm-pool-size (--vm-pool-size)");
  }

  static Optional<String> memoryRoomProblem(Path memoryDir, long memory) throws IOException {
    return memoryRoomProblem(memoryDir, memory, Files.getFileStore(memoryDir).getTotalSpace());
  }

  /**
   * The datastore is shared when the heartbeat files of the other live hosts are in it. When no
   * other host is live yet, nothing can be told (the first agent of a cluster passes); when some are
   * live but none of their files is here, this agent has a datastore of its own.
   */
  static Optional<String> sharedDatastoreProblem(Path datastore, Collection<String> otherLiveHosts) {
    if (otherLiveHosts.isEmpty()) {
      return Optional.empty();
    }
    for (String host : otherLiveHosts) {
      if (Files.exists(DatastoreHeartbeats.file(datastore, host))) {
        return Optional.empty();
      }
    }
    return Optional.of("the datastore " + datastore + " is not shared: it holds no heartbeat of the live hosts "
        + String.join(", ", otherLiveHosts.stream().sorted().toList()) + "; mount the same shared datastore (NFS,"
        + " or one docker volume) on every host at agent.datastore (--datastore)");
  }
}
