package io.roam.agent.net;

import java.io.IOException;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Whether this agent can put VM addresses on its host: a VM interface is configured, the process
 * has CAP_NET_ADMIN in its effective set, and the interface exists in its network namespace.
 * Checked once at start-up; the decision is a pure function of the three facts.
 */
public final class AddressCapability {
  /** Bit of CAP_NET_ADMIN in the capability sets of /proc/PID/status (linux/capability.h). */
  static final int CAP_NET_ADMIN = 12;

  private AddressCapability() {}

  /**
   * Why VM addresses cannot be managed here, or empty when they can.
   *
   * @param iface agent.vm-interface ("" when not set)
   * @param procStatus the text of /proc/self/status
   * @param interfaceExists whether a network interface of that name exists here
   */
  public static Optional<String> problem(String iface, String procStatus, Predicate<String> interfaceExists) {
    if (iface.isBlank()) {
      return Optional.of("agent.vm-interface is not set");
    }
    Optional<Long> effective = effectiveCapabilities(procStatus);
    if (effective.isEmpty()) {
      return Optional.of("cannot read the process's capabilities (no CapEff in /proc/self/status)");
    }
    if ((effective.get() >>> CAP_NET_ADMIN & 1) == 0) {
      return Optional.of("the agent lacks CAP_NET_ADMIN (run it as root, or grant the capability, e.g. systemd"
          + " AmbientCapabilities=CAP_NET_ADMIN or docker --cap-add NET_ADMIN)");
    }
    if (!interfaceExists.test(iface)) {
      return Optional.of("network interface " + iface + " (agent.vm-interface) does not exist on this host");
    }
    return Optional.empty();
  }

  /** The CapEff bits of a /proc/PID/status text, if it has them. */
  static Optional<Long> effectiveCapabilities(String procStatus) {
    for (String line : procStatus.split("\n")) {
      if (line.startsWith("CapEff:")) {
        try {
          return Optional.of(Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16));
        } catch (NumberFormatException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /** The check on this process: /proc/self/status and the interfaces of its network namespace. */
  public static Optional<String> ofThisProcess(String iface) {
    String status;
    try {
      status = Files.readString(Path.of("/proc/self/status"));
    } catch (IOException e) {
      status = "";
    }
    return problem(iface, status, AddressCapability::interfaceExists);
  }

  private static boolean interfaceExists(String name) {
    try {
      return NetworkInterface.getByName(name) != null;
    } catch (SocketException e) {
      return false;
    }
  }
}
