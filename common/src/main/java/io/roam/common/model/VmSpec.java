package io.roam.common.model;

import java.util.Map;

/** What a VM is: the part of it that survives restarts and moves. */
public record VmSpec(String name, String program, long memoryBytes, Map<String, String> args, String programJar) {
  /** Guest memory sizes Roam accepts; the agent's memory layout enforces the same bounds. */
  public static final long MIN_MEMORY = 16L << 20;
  public static final long MAX_MEMORY = 1L << 40;
  public static final int PAGE_SIZE = 4096;

  public VmSpec {
    args = args == null ? Map.of() : Map.copyOf(args);
    programJar = programJar == null ? "" : programJar;
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
