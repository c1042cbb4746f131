package io.roam.common.model;

import java.util.Map;

/**
 * What a VM is: the part of it that survives restarts and moves.
 *
 * @param address the VM's own address, "ADDRESS/PREFIX" (io.roam.common.net.VmAddress), that moves with
 *     it from host to host; "" when it has none (its program serves on its host's address)
 */
public record VmSpec(String name, String program, long memoryBytes, Map<String, String> args, String programJar,
    String address) {
  /** Guest memory sizes Roam accepts; the agent's memory layout enforces the same bounds. */
  public static final long MIN_MEMORY = 16L << 20;
  public static final long MAX_MEMORY = 1L << 40;
  public static final int PAGE_SIZE = 4096;

  public VmSpec {
    args = args == null ? Map.of() : Map.copyOf(args);
    programJar = programJar == null ? "" : programJar;
    address = address == null ? "" : address;
  }

  /** A VM without an address of its own. */
  public VmSpec(String name, String program, long memoryBytes, Map<String, String> args, String programJar) {
    this(name, program, memoryBytes, args, programJar, "");
  }

  public boolean hasAddress() {
    return !address.isEmpty();
  }

  /** The same VM with the given address ("" for none). */
  public VmSpec withAddress(String a) {
    return new VmSpec(name, program, memoryBytes, args, programJar, a);
  }

  /** Returns null when the name is usable, else why not ({@link io.roam.common.Names}, the one rule). */
  public static String checkName(String name) {
    return io.roam.common.Names.checkVmName(name);
  }

  /** Returns null when the size is usable, else why not. */
  public static String checkMemory(long bytes) {
    if (bytes < MIN_MEMORY || bytes > MAX_MEMORY) {
      return "memory size " + bytes + " bytes is out of range: allowed 16 MiB to 1 TiB";
    }
    if (bytes % PAGE_SIZE != 0) {
      return "memory size " + bytes + " bytes is not a multiple of the 4 KiB page size";
    }
    return null;
  }
}
