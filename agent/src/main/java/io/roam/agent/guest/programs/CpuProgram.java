package io.roam.agent.guest.programs;

import io.roam.agent.guest.GuestArgs;
import io.roam.agent.guest.GuestProgram;
import io.roam.agent.memory.GuestMemory;

/**
 * Burns a share of one core: argument {@code share} in percent (default 100). Each step spins for
 * share × 5 ms and sleeps for the rest of 5 ms. Its work counter lives in guest memory.
 */
public final class CpuProgram implements GuestProgram {
  private static final long PERIOD_NANOS = 5_000_000L;
  private long busyNanos;
  private long sink;

  @Override
  public void boot(GuestMemory memory, GuestArgs args) {
    configure(args);
  }

  @Override
  public void resume(GuestMemory memory, GuestArgs args) {
    configure(args);
  }

  private void configure(GuestArgs args) {
    double share = args.getDouble("share", 100);
    if (share < 0 || share > 100) {
      throw new IllegalArgumentException("argument share=" + share + " must be between 0 and 100");
    }
    busyNanos = (long) (PERIOD_NANOS * share / 100);
  }

  @Override
  public void step(GuestMemory memory) throws InterruptedException {
    long start = System.nanoTime();
    long x = sink;
    while (System.nanoTime() - start < busyNanos) {
      for (int i = 0; i < 1000; i++) {
        x = x * 6364136223846793005L + 1442695040888963407L;
      }
    }
    sink = x;
    memory.putLong(0, memory.getLong(0) + 1);
    long rest = PERIOD_NANOS - (System.nanoTime() - start);
    if (rest > 0) {
      Thread.sleep(rest / 1_000_000, (int) (rest % 1_000_000));
    }
  }
}
