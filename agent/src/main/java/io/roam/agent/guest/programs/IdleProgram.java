package io.roam.agent.guest.programs;

import io.roam.agent.guest.GuestArgs;
import io.roam.agent.guest.GuestProgram;
import io.roam.agent.memory.GuestMemory;
import java.util.SplittableRandom;

/**
 * Fills its memory with non-zero pseudo-random data at boot, then does nothing: the VM that makes
 * a migration copy every page exactly once. Argument {@code seed} (default 1).
 */
public final class IdleProgram implements GuestProgram {
  @Override
  public void boot(GuestMemory memory, GuestArgs args) {
    SplittableRandom rnd = new SplittableRandom(args.getInt("seed", 1));
    byte[] page = new byte[4096];
    for (long p = 0; p < memory.pageCount(); p++) {
      rnd.nextBytes(page);
      page[0] |= 1; // never an all-zero page
      memory.write(p * 4096, page, 0, page.length);
    }
  }

  @Override
  public void resume(GuestMemory memory, GuestArgs args) {}

  @Override
  public void step(GuestMemory memory) throws InterruptedException {
    Thread.sleep(5);
  }
}
