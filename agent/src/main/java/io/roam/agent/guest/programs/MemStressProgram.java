package io.roam.agent.guest.programs;

import io.roam.agent.guest.GuestArgs;
import io.roam.agent.guest.GuestProgram;
import io.roam.agent.memory.GuestMemory;
import java.util.SplittableRandom;

/**
 * Dirties pages of a working set at a set rate: the load that makes live migration hard.
 * Arguments: {@code rate} in MB/s of pages dirtied (default 100), {@code ws} working-set size
 * (default: all of memory), {@code seed}. Each dirtied page gets a new 8-byte value at a random
 * offset, so every dirtying really changes the page. The working set is filled with non-zero
 * data at boot.
 */
public final class MemStressProgram implements GuestProgram {
  /** Keeps a step short even when the runtime fell far behind (e.g. after a pause). */
  private static final long MAX_PAGES_PER_STEP = 2048;

  private long wsPages;
  private double pagesPerNano;
  private SplittableRandom rnd;
  private long lastNanos;
  private double owed;
  private long counter;

  @Override
  public void boot(GuestMemory memory, GuestArgs args) {
    configure(memory, args);
    // The working set starts full of non-zero data, so that a migration has all of it to copy.
    byte[] page = new byte[4096];
    for (long p = 0; p < wsPages; p++) {
      rnd.nextBytes(page);
      page[0] |= 1;
      memory.write(p * 4096, page, 0, page.length);
    }
    lastNanos = System.nanoTime();
  }

  @Override
  public void resume(GuestMemory memory, GuestArgs args) {
    configure(memory, args);
  }

  private void configure(GuestMemory memory, GuestArgs args) {
    double rateMb = args.getDouble("rate", 100);
    if (rateMb < 0) {
      throw new IllegalArgumentException("argument rate=" + rateMb + " must not be negative");
    }
    long ws = args.getSize("ws", memory.size());
    if (ws < 4096 || ws > memory.size()) {
      throw new IllegalArgumentException("argument ws=" + ws + " must be between 4 KiB and the memory size " + memory.size());
    }
    wsPages = ws / 4096;
    pagesPerNano = rateMb * 1_000_000 / 4096 / 1e9;
    rnd = new SplittableRandom(args.getInt("seed", 7));
    lastNanos = System.nanoTime();
  }

  @Override
  public void step(GuestMemory memory) throws InterruptedException {
    long now = System.nanoTime();
    // Owed work is capped at 5 ms' worth: like a CPU-bound guest, time lost to a pause or to a
    // throttle is lost, not made up in a burst (otherwise throttling could not slow it down).
    owed = Math.min(owed + (now - lastNanos) * pagesPerNano, pagesPerNano * 5e6 + 1);
    lastNanos = now;
    long n = Math.min((long) owed, MAX_PAGES_PER_STEP);
    if (n == 0) {
      Thread.sleep(1);
      return;
    }
    owed = Math.min(owed - n, MAX_PAGES_PER_STEP);
    for (long i = 0; i < n; i++) {
      long page = rnd.nextLong(wsPages);
      memory.putLong(page * 4096 + rnd.nextInt(512) * 8L, ++counter);
    }
  }
}
