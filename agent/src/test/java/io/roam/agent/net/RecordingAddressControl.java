package io.roam.agent.net;

import io.roam.common.net.VmAddress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fake {@link AddressControl} for one host on a shared {@link Network}, which records every call
 * in order and which host holds each address, and notes a violation whenever an address is added
 * on one host while another still holds it. Thread-safe (everything under the network's lock).
 */
public final class RecordingAddressControl implements AddressControl {
  /** The hosts of one test and what they hold. */
  public static final class Network {
    public final List<String> log = new ArrayList<>();
    public final List<String> violations = new ArrayList<>();
    private final Map<String, String> holder = new HashMap<>();

    public synchronized List<String> log() {
      return List.copyOf(log);
    }

    public synchronized List<String> violations() {
      return List.copyOf(violations);
    }

    /** The host holding the address (its ip), or null. */
    public synchronized String holder(String ip) {
      return holder.get(ip);
    }
  }

  private final String host;
  private final Network net;
  /** When set, add fails with this message (and holds nothing). */
  public volatile String failAdd;
  /** When set, announce fails with this message. */
  public volatile String failAnnounce;

  public RecordingAddressControl(String host, Network net) {
    this.host = host;
    this.net = net;
  }

  @Override
  public void add(VmAddress address) throws IOException {
    synchronized (net) {
      if (failAdd != null) {
        net.log.add(host + " add-failed " + address);
        throw new IOException(failAdd);
      }
      String other = net.holder.get(address.ip());
      if (other != null && !other.equals(host)) {
        net.violations.add(host + " added " + address + " while " + other + " held it");
      }
      net.holder.put(address.ip(), host);
      net.log.add(host + " add " + address);
    }
  }

  @Override
  public void remove(VmAddress address) {
    synchronized (net) {
      if (host.equals(net.holder.get(address.ip()))) {
        net.holder.remove(address.ip());
        net.log.add(host + " remove " + address);
      } // else: not here, nothing to remove (idempotent, as ip addr del's harmless error)
    }
  }

  @Override
  public void announce(VmAddress address) throws IOException {
    synchronized (net) {
      if (failAnnounce != null) {
        throw new IOException(failAnnounce);
      }
      net.log.add(host + " announce " + address);
    }
  }
}
