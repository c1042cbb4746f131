package io.roam.it;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A bridge and network namespaces, so that a test host has its own address and can be cut off
 * the network. Needs root and iproute2; only addresses this object creates are used.
 */
public final class NetworkNamespaces implements AutoCloseable {
  final String bridge;
  final String subnet; // e.g. 10.213.7
  private final List<String> namespaces = new ArrayList<>();
  private final List<String> outsideLinks = new ArrayList<>();

  public NetworkNamespaces(int id) throws IOException, InterruptedException {
    this.bridge = "rbr" + id;
    this.subnet = "10.213." + (id % 250 + 1);
    removeIfLeftOver(bridge);
    run("ip", "link", "add", bridge, "type", "bridge");
    run("ip", "addr", "add", subnet + ".1/24", "dev", bridge);
    run("ip", "link", "set", bridge, "up");
    allowForwarding(true);
  }

  /**
   * Lets traffic between this bridge's ports through the host's firewall. Where br_netfilter is
   * loaded (dockerd loads it and sets the FORWARD policy to DROP), frames bridged from one namespace
   * to another pass iptables' FORWARD chain, and two agents in namespaces could not reach each other
   * (a migration's data plane). One rule for this bridge only, removed on close; nothing where
   * iptables is absent.
   */
  private void allowForwarding(boolean allow) {
    try {
      run("iptables", "-w", allow ? "-I" : "-D", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT");
    } catch (IOException | InterruptedException e) {
      // no iptables (then no firewall of its making to pass), or the rule is gone already
    }
  }

  /**
   * Whether this machine lets us make namespaces and bridges (root, iproute2, and the capabilities
   * a container may lack): tried for real with a scratch namespace and bridge.
   */
  public static boolean available() {
    String probe = "roam-probe-" + ProcessHandle.current().pid();
    try {
      run("ip", "netns", "add", probe);
      run("ip", "netns", "delete", probe);
      run("ip", "link", "add", "rbp" + ProcessHandle.current().pid() % 100000, "type", "bridge");
      run("ip", "link", "delete", "rbp" + ProcessHandle.current().pid() % 100000);
      return true;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** Whether iptables is here and usable (for {@link #cutFrom}). */
  public static boolean firewallAvailable() {
    try {
      run("iptables", "-w", "-S", "INPUT");
      return true;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  public String gateway() {
    return subnet + ".1";
  }

  /** A namespace with address subnet.host on the bridge; returns that address. */
  public String add(String name, int host) throws IOException, InterruptedException {
    String outside = "v" + bridge + "o" + host;
    String inside = "v" + bridge + "i" + host;
    run("ip", "netns", "add", name);
    namespaces.add(name);
    removeLinkIfPresent(outside);
    run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
    outsideLinks.add(outside);
    run("ip", "link", "set", inside, "netns", name);
    run("ip", "link", "set", outside, "master", bridge);
    run("ip", "link", "set", outside, "up");
    run("ip", "netns", "exec", name, "ip", "addr", "add", subnet + "." + host + "/24", "dev", inside);
    run("ip", "netns", "exec", name, "ip", "link", "set", inside, "up");
    run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
    return subnet + "." + host;
  }

  /** Takes the namespace's link down (cut) or up again. */
  public void link(String name, int host, boolean up) throws IOException, InterruptedException {
    run("ip", "netns", "exec", name, "ip", "link", "set", "v" + bridge + "i" + host, up ? "up" : "down");
  }

  /**
   * A bridge of this name with no port is a leftover of a test run that was killed before it
   * closed (ours by its name; a live run's bridge has its hosts' veths attached): remove it, or the
   * next run whose id falls on it fails with "File exists".
   */
  private static void removeIfLeftOver(String bridge) throws IOException, InterruptedException {
    java.nio.file.Path ports = java.nio.file.Path.of("/sys/class/net", bridge, "brif");
    if (java.nio.file.Files.isDirectory(ports)) {
      try (var attached = java.nio.file.Files.list(ports)) {
        if (attached.findAny().isEmpty()) {
          run("ip", "link", "delete", bridge);
        }
      }
    }
  }

  /**
   * Cuts (or heals) the path between namespace {@code name} and one peer address only, silently:
   * packets either way are dropped by the namespace's own firewall, so neither side sees a reset
   * and both still reach everything else (the masters, ZooKeeper).
   */
  public void cutFrom(String name, String peerAddress, boolean cut) throws IOException, InterruptedException {
    String op = cut ? "-I" : "-D";
    run(concat(exec(name), "iptables", "-w", op, "INPUT", "-s", peerAddress, "-j", "DROP"));
    run(concat(exec(name), "iptables", "-w", op, "OUTPUT", "-d", peerAddress, "-j", "DROP"));
  }

  private static String[] concat(List<String> prefix, String... rest) {
    List<String> all = new ArrayList<>(prefix);
    all.addAll(List.of(rest));
    return all.toArray(new String[0]);
  }

  /**
   * Deleting a namespace frees its veth pair only when the kernel's cleanup of the namespace runs,
   * which is asynchronous: the next test of this JVM, whose bridge id is the same, could find the
   * old outside end still there ("File exists"). A link of our naming is ours to remove.
   */
  private static void removeLinkIfPresent(String link) throws IOException, InterruptedException {
    if (java.nio.file.Files.exists(java.nio.file.Path.of("/sys/class/net", link))) {
      run("ip", "link", "delete", link);
    }
  }

  public static List<String> exec(String namespace) {
    return List.of("ip", "netns", "exec", namespace);
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  @Override
  public void close() {
    // The pair goes at once when one end is deleted; the namespace's own cleanup is asynchronous.
    for (String link : outsideLinks) {
      try {
        removeLinkIfPresent(link);
      } catch (IOException | InterruptedException e) {
        // best effort
      }
    }
    for (String ns : namespaces) {
      try {
        run("ip", "netns", "delete", ns);
      } catch (IOException | InterruptedException e) {
        // best effort
      }
    }
    allowForwarding(false);
    try {
      run("ip", "link", "delete", bridge);
    } catch (IOException | InterruptedException e) {
      // best effort
    }
  }
}
