package io.roam.agent.net;

import io.roam.common.net.VmAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link AddressControl} by iproute2 and iputils' arping (Debian: iproute2, iputils-arping), run
 * in the agent's own network namespace. Each call forks one short command and waits at most
 * {@value #TIMEOUT_S} s for it. Thread-safe (no state).
 */
public final class IpCommands implements AddressControl {
  private static final long TIMEOUT_S = 5;
  private final String iface;

  public IpCommands(String iface) {
    this.iface = iface;
  }

  @Override
  public void add(VmAddress address) throws IOException {
    // replace, not add: succeeds when the address is already there (idempotent).
    run(List.of("ip", "addr", "replace", address.toString(), "dev", iface), null);
  }

  @Override
  public void remove(VmAddress address) throws IOException {
    // "Cannot assign requested address": it is not there, which is what was wanted.
    run(List.of("ip", "addr", "del", address.toString(), "dev", iface), "Cannot assign requested address");
  }

  @Override
  public void announce(VmAddress address) throws IOException {
    // iputils arping: -U unsolicited (gratuitous) ARP, one packet, from the VM interface.
    run(List.of("arping", "-q", "-U", "-c", "1", "-I", iface, address.ip()), null);
  }

  private static void run(List<String> command, String harmlessError) throws IOException {
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
    if (p.exitValue() != 0 && (harmlessError == null || !out.contains(harmlessError))) {
      throw new IOException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): "
          + out.replace('\n', ' '));
    }
  }
}
