package io.roam.agent.guest.programs;

import java.nio.file.Path;

/** Boots a kv VM from a disk in whatever heap this JVM was given, and prints what it rebuilt (KvWalTest). */
public final class BootInSmallHeap {
  private BootInSmallHeap() {}

  public static void main(String[] args) throws Exception {
    try (KvHarness vm = KvHarness.boot(Path.of(args[1]), Path.of(args[0]), 2, KvHarness.diskArgs())) {
      KvTable t = KvTable.attach(vm.memory);
      System.out.println("entries=" + t.size());
    }
  }
}
