package io.roam.agent.net;

import io.roam.common.net.VmAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VM addresses this host holds. A VM's address is on this host exactly while a copy of the VM
 * may answer here: the VM manager attaches it before a process starts or a migrated copy resumes,
 * and detaches it whenever a copy stops, is killed, fenced or destroyed, or hands the VM over to a
 * migration's destination.
 *
 * <p>Every address is written to a ledger file before it is added and struck off after it is
 * removed, so an agent that died (kill -9, a power cut) removes at its next start the addresses its
 * dead VMs left on the interface ({@link #clearLeftovers}): VMs do not outlive their agent, and
 * their addresses must not either, or the host would answer for a VM that runs elsewhere now.
 *
 * <p>Thread-safe: one lock around each operation (each is one short command).
 */
public final class VmAddresses {
  private static final Logger LOG = LoggerFactory.getLogger(VmAddresses.class);

  private final String host;
  private final Optional<String> incapacity;
  private final AddressControl control;
  private final Path ledger;

  /**
   * @param incapacity why this host cannot manage VM addresses ({@link AddressCapability}), or empty
   * @param ledger the file listing addresses added and not yet removed (null: none kept)
   */
  public VmAddresses(String host, Optional<String> incapacity, AddressControl control, Path ledger) {
    this.host = host;
    this.incapacity = incapacity;
    this.control = control;
    this.ledger = ledger;
  }

  /** A host that manages no VM addresses, for the reason given. */
  public static VmAddresses unmanaged(String host, String why) {
    return new VmAddresses(host, Optional.of(why), null, null);
  }

  /** Why this host cannot manage VM addresses, or empty. */
  public Optional<String> incapacity() {
    return incapacity;
  }

  public boolean managed() {
    return incapacity.isEmpty();
  }

  /** Why VM {@code vm} with address {@code address} may not be on this host, or empty. */
  public Optional<String> refusal(String vm, String address) {
    return incapacity.map(why -> "host " + host + " cannot run VM " + vm + ", which has the address " + address
        + " of its own: " + why);
  }

  /**
   * Puts the address on the interface and announces it (gratuitous ARP). The address is in the
   * ledger before it is on the interface. An announcement that fails is logged, not thrown: the
   * address works, neighbours learn it when their ARP caches expire.
   *
   * @throws IOException when the address could not be added (nothing should start then)
   */
  public synchronized void attach(String vm, VmAddress address) throws IOException {
    requireManaged();
    Set<String> held = readLedger();
    if (held.add(address.toString())) {
      writeLedger(held);
    }
    control.add(address);
    try {
      control.announce(address);
    } catch (IOException e) {
      LOG.warn("VM {}: address {} is on this host but could not be announced: {}", vm, address, e.getMessage());
    }
    LOG.info("VM {}: address {} added and announced", vm, address);
  }

  /**
   * Takes the address off the interface, then off the ledger. Never throws: a failure is logged
   * and the address stays in the ledger, so the next start of the agent removes it.
   */
  public synchronized void detach(String vm, VmAddress address) {
    if (!managed()) {
      return;
    }
    try {
      control.remove(address);
      Set<String> held = readLedger();
      if (held.remove(address.toString())) {
        writeLedger(held);
      }
      LOG.info("VM {}: address {} removed", vm, address);
    } catch (IOException e) {
      LOG.error("VM {}: could not remove address {} from this host: {}", vm, address, e.getMessage());
    }
  }

  /**
   * At start-up, before any VM runs: removes every address an earlier run of the agent added and
   * did not remove. Returns how many were removed.
   */
  public synchronized int clearLeftovers() {
    if (!managed()) {
      return 0;
    }
    Set<String> held = readLedger();
    Set<String> kept = new LinkedHashSet<>();
    for (String a : held) {
      try {
        control.remove(VmAddress.parse(a));
        LOG.warn("removed VM address {} left on this host by an earlier run of the agent", a);
      } catch (IllegalArgumentException e) {
        LOG.warn("ignoring a malformed line in {}: {}", ledger, a);
      } catch (IOException e) {
        LOG.error("could not remove VM address {} left by an earlier run: {}", a, e.getMessage());
        kept.add(a);
      }
    }
    if (!held.equals(kept)) {
      try {
        writeLedger(kept);
      } catch (IOException e) {
        LOG.error("cannot write {}: {}", ledger, e.getMessage());
      }
    }
    return held.size() - kept.size();
  }

  private void requireManaged() throws IOException {
    if (!managed()) {
      throw new IOException("host " + host + " cannot manage VM addresses: " + incapacity.get());
    }
  }

  private Set<String> readLedger() {
    Set<String> out = new LinkedHashSet<>();
    if (ledger == null || !Files.exists(ledger)) {
      return out;
    }
    try {
      for (String line : Files.readAllLines(ledger, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          out.add(line.trim());
        }
      }
    } catch (IOException e) {
      LOG.error("cannot read {}: {}", ledger, e.getMessage());
    }
    return out;
  }

  private void writeLedger(Set<String> addresses) throws IOException {
    if (ledger == null) {
      return;
    }
    Path tmp = ledger.resolveSibling(ledger.getFileName() + ".tmp");
    Files.write(tmp, addresses, StandardCharsets.UTF_8);
    Files.move(tmp, ledger, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
