package io.roam.agent.net;

import io.roam.common.net.VmAddress;
import java.io.IOException;

/**
 * The host's side of a VM's own address: I/O at the edge, one implementation that runs {@code ip}
 * and {@code arping} ({@link IpCommands}), and recording fakes in tests.
 *
 * <p>Contract: {@link #add} and {@link #remove} are idempotent (adding an address the interface
 * has, or removing one it lacks, succeeds), so a retry or a second teardown is harmless.
 * Implementations are thread-safe.
 */
public interface AddressControl {
  /** Puts the address on the VM interface ({@code ip addr replace ADDR/PREFIX dev IF}). */
  void add(VmAddress address) throws IOException;

  /** Takes it off the VM interface ({@code ip addr del ADDR/PREFIX dev IF}). */
  void remove(VmAddress address) throws IOException;

  /**
   * Tells the network that the address is here now: one gratuitous ARP from the VM interface, so
   * that neighbours and switches send its traffic to this host at once instead of after their
   * caches expire. Returns once the announcement is under way (the packet leaves within
   * milliseconds); a failure to start it throws, a later one is logged.
   */
  void announce(VmAddress address) throws IOException;
}
