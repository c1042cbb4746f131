package io.roam.agent.net;

import io.roam.common.net.VmAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link AddressControl} by iproute2 and iputils' arping (Debian: iproute2, iputils-arping), run
 * in the agent's own network namespace. Each call forks one short command; add and remove wait at
 * most {@value #TIMEOUT_S} s for it, announce only for it to start. Thread-safe (no state).
 */
public final class IpCommands implements AddressControl {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(IpCommands.class);
  private static final long TIMEOUT_S = 5;
  private final String iface;

  public IpCommands(String iface) {
    this.iface = iface;
  }

  @Override
  public void add(VmAddress address) throws IOException {
    // replace, not add: succeeds when the address is already there (idempotent).
    run(List.of("ip", "addr", "replace", address.toString(), "dev", iface));
  }

  @Override
  public void remove(VmAddress address) throws IOException {
    // It is not there, which is what was wanted: "Address not found" (iproute2 6.x, Debian 12),
    // "Cannot assign requested address" (older iproute2).
    run(List.of("ip", "addr", "del", address.toString(), "dev", iface), "Address not found",
        "Cannot assign requested address");
  }

  /**
   * Starts iputils' arping: -U unsolicited (gratuitous) ARP, one packet, from the VM interface.
   * arping sends at once but then stays a whole second (its interval) before it exits; that second
   * must not land in a migration's pause, so this returns once arping runs, and its exit is checked
   * in the background (a failure there is logged).
   */
  @Override
  public void announce(VmAddress address) throws IOException {
    List<String> command = List.of("arping", "-q", "-U", "-c", "1", "-I", iface, address.ip());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.onExit().orTimeout(TIMEOUT_S, TimeUnit.SECONDS).whenComplete((done, timedOut) -> {
      if (timedOut != null) {
        p.destroyForcibly();
        LOG.warn("{} did not finish within {} s", String.join(" ", command), TIMEOUT_S);
        return;
      }
      if (done.exitValue() != 0) {
        String out;
        try {
          out = new String(done.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().replace('\n', ' ');
        } catch (IOException e) {
          out = e.toString();
        }
        LOG.warn("{} failed (exit {}): {}; neighbours learn the address's new place when their ARP caches expire",
            String.join(" ", command), done.exitValue(), out);
      }
    });
  }

  /** Runs the command; a failure whose output contains one of {@code harmlessErrors} counts as success. */
  private static void run(List<String> command, String... harmlessErrors) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within " + TIMEOUT_S + " s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(String.join(" ", command) + " interrupted");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.exitValue() != 0 && java.util.Arrays.stream(harmlessErrors).noneMatch(out::contains)) {
      throw new IOException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): "
          + out.replace('\n', ' '));
    }
  }
}
