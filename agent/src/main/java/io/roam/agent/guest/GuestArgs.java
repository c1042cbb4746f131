package io.roam.agent.guest;

import io.roam.common.Sizes;
import java.nio.file.Path;
import java.util.Map;

/**
 * A program's arguments (from {@code --arg k=v}), the address its host gives it for services, its
 * folder on the shared datastore (its disk, {@code <datastore>/vms/<vm>}; null when the host has
 * no datastore) and the owner epoch this copy of the VM runs under (0: not given).
 *
 * @param ownAddress {@code bindAddress} is the VM's own address, which moves with it from host to
 *     host (not the host's): a service may then listen on a fixed, well-known port
 */
public record GuestArgs(Map<String, String> values, String bindAddress, Path disk, long ownerEpoch,
    boolean ownAddress) {

  public GuestArgs {
    values = Map.copyOf(values);
    if (ownerEpoch < 0) {
      throw new IllegalArgumentException("owner epoch must not be negative, got " + ownerEpoch);
    }
  }

  public GuestArgs(Map<String, String> values, String bindAddress, Path disk, long ownerEpoch) {
    this(values, bindAddress, disk, ownerEpoch, false);
  }

  public GuestArgs(Map<String, String> values, String bindAddress, Path disk) {
    this(values, bindAddress, disk, 0);
  }

  public GuestArgs(Map<String, String> values, String bindAddress) {
    this(values, bindAddress, null, 0);
  }

  /** The same arguments under another owner epoch (a migration's destination learns its epoch at GO). */
  public GuestArgs withOwnerEpoch(long epoch) {
    return new GuestArgs(values, bindAddress, disk, epoch, ownAddress);
  }

  /** The datastore the disk is on ({@code disk}'s grandparent), or null without a disk. */
  public Path datastoreRoot() {
    return disk == null || disk.getParent() == null ? null : disk.getParent().getParent();
  }

  public String get(String key, String def) {
    return values.getOrDefault(key, def);
  }

  public double getDouble(String key, double def) {
    String v = values.get(key);
    if (v == null) {
      return def;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("argument " + key + "=" + v + " is not a number");
    }
  }

  public int getInt(String key, int def) {
    String v = values.get(key);
    if (v == null) {
      return def;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("argument " + key + "=" + v + " is not an integer");
    }
  }

  public long getSize(String key, long def) {
    String v = values.get(key);
    return v == null ? def : Sizes.parse(v);
  }
}
