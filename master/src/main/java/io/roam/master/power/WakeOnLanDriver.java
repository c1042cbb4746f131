package io.roam.master.power;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.Locale;

/**
 * Wake-on-LAN: power on by a real magic packet over UDP (6 bytes 0xFF, then the MAC address 16
 * times) to a broadcast address; power off by asking the host's agent to shut the machine down,
 * since WoL cannot switch anything off; status from whatever tells whether the host is up (its
 * agent's ZooKeeper session, say).
 */
public final class WakeOnLanDriver implements PowerDriver {
  /** Something that can shut the host down (the agent's own shutdown call in production). */
  public interface Shutdown {
    void shutdown() throws Exception;
  }

  /** Something that can tell whether the host is up. */
  public interface UpProbe {
    boolean isUp() throws Exception;
  }

  private final byte[] mac;
  private final InetAddress broadcast;
  private final int port;
  private final Shutdown shutdown;
  private final UpProbe probe;

  public WakeOnLanDriver(String mac, InetAddress broadcast, int port, Shutdown shutdown, UpProbe probe) {
    this.mac = parseMac(mac);
    this.broadcast = broadcast;
    this.port = port;
    this.shutdown = shutdown;
    this.probe = probe;
  }

  /** Parses aa:bb:cc:dd:ee:ff (or with '-'); the message says what is wrong. */
  static byte[] parseMac(String text) {
    String[] parts = text.trim().split("[:-]");
    if (parts.length != 6) {
      throw new IllegalArgumentException("'" + text + "' is not a MAC address like aa:bb:cc:dd:ee:ff");
    }
    byte[] b = new byte[6];
    for (int i = 0; i < 6; i++) {
      if (!parts[i].matches("[0-9a-fA-F]{2}")) {
        throw new IllegalArgumentException("'" + text + "' is not a MAC address like aa:bb:cc:dd:ee:ff");
      }
      b[i] = (byte) Integer.parseInt(parts[i], 16);
    }
    return b;
  }

  /** The 102-byte magic packet. */
  byte[] magicPacket() {
    byte[] p = new byte[6 + 16 * 6];
    for (int i = 0; i < 6; i++) {
      p[i] = (byte) 0xFF;
    }
    for (int i = 0; i < 16; i++) {
      System.arraycopy(mac, 0, p, 6 + i * 6, 6);
    }
    return p;
  }

  @Override
  public void powerOn() throws PowerException {
    byte[] packet = magicPacket();
    try (DatagramSocket s = new DatagramSocket()) {
      s.setBroadcast(true);
      s.send(new DatagramPacket(packet, packet.length, broadcast, port));
    } catch (IOException e) {
      throw new PowerException("cannot send the Wake-on-LAN packet for " + macText() + " to " + broadcast.getHostAddress()
          + ":" + port + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void powerOff() throws PowerException {
    try {
      shutdown.shutdown();
    } catch (Exception e) {
      throw new PowerException("host with MAC " + macText() + " did not take the shutdown request: " + e.getMessage(), e);
    }
  }

  @Override
  public PowerState status() throws PowerException {
    try {
      return probe.isUp() ? PowerState.ON : PowerState.OFF;
    } catch (Exception e) {
      return PowerState.UNKNOWN;
    }
  }

  private String macText() {
    StringBuilder sb = new StringBuilder();
    for (byte b : mac) {
      sb.append(sb.length() == 0 ? "" : ":").append(String.format(Locale.ROOT, "%02x", b));
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return "wol " + macText() + " via " + broadcast.getHostAddress() + ":" + port;
  }
}
