package io.roam.master.power;

/**
 * Turns a host's power on and off and reads it back: how the master fences a host before its VMs
 * restart elsewhere (HA), and how DPM parks and wakes hosts. Implementations: {@link
 * IpmiPowerDriver} (the real ipmitool), {@link WakeOnLanDriver} (a real magic packet; off through
 * the agent's own shutdown) and {@link ProcessPowerDriver} (a local agent process, for one-machine
 * clusters and tests).
 *
 * <p>Contract: calls block until the driver has done what it can tell (IPMI acknowledges; a magic
 * packet is only sent) and throw {@link PowerException} with a message fit for an operator, which
 * never contains a credential. {@link #toString()} describes the driver without credentials too.
 */
public interface PowerDriver {
  enum PowerState { ON, OFF, UNKNOWN }

  void powerOn() throws PowerException;

  void powerOff() throws PowerException;

  PowerState status() throws PowerException;
}
