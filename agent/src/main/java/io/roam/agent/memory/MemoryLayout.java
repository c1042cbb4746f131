package io.roam.agent.memory;

/**
 * The layout of a guest memory file, shared by the agent and the VM process:
 *
 * <pre>
 * offset 0        header page (4 KiB)
 *   0   long  magic "ROAMMEM1"
 *   8   int   version
 *   12  int   page size (4096)
 *   16  long  page count
 *   24  long  lease deadline (epoch millis; the agent renews it, the VM checks it before each step)
 *   32  long  heartbeat counter (the VM's runtime bumps it after each step)
 *   40  int   runtime-state length
 *   48  long  FT: checkpoints taken (the agent bumps it while the VM is paused for a checkpoint)
 *   56  long  FT: checkpoints the secondary acknowledged (the agent writes it as acks arrive)
 *   64  long  FT: 1 while output is held until acknowledged (output commit), else 0
 *   2048..4095  runtime-state area (bytes the runtime keeps with the memory, e.g. across a move)
 * offset 4096     dirty bitmap: one bit per page, in 64-bit words, padded to a whole page
 * offset 4096+B   written bitmap ("ever written"): same shape; a page's bit is set once the page
 *                 may hold anything but zeros, and never cleared while the file exists
 * offset D        the guest pages; guest address 0 is the first byte here
 * </pre>
 *
 * <p>Version 2 added the written bitmap (DESIGN.md "Memory never written").
 */
public final class MemoryLayout {
  public static final long MAGIC = 0x524F414D4D454D31L; // "ROAMMEM1"
  public static final int VERSION = 2;
  public static final int PAGE_SIZE = 4096;
  public static final int PAGE_SHIFT = 12;

  static final int OFF_MAGIC = 0;
  static final int OFF_VERSION = 8;
  static final int OFF_PAGE_SIZE = 12;
  static final int OFF_PAGE_COUNT = 16;
  static final int OFF_LEASE = 24;
  static final int OFF_HEARTBEAT = 32;
  static final int OFF_RUNTIME_STATE_LEN = 40;
  static final int OFF_FT_TAKEN = 48;
  static final int OFF_FT_ACKED = 56;
  static final int OFF_FT_HOLD = 64;
  static final int OFF_RUNTIME_STATE = 2048;
  public static final int RUNTIME_STATE_CAPACITY = PAGE_SIZE - OFF_RUNTIME_STATE;

  public static final long MIN_SIZE = io.roam.common.model.VmSpec.MIN_MEMORY;
  /** Far above what one host offers; it keeps the page count and bitmap in int range. */
  public static final long MAX_SIZE = io.roam.common.model.VmSpec.MAX_MEMORY;

  private MemoryLayout() {}

  static long bitmapBytes(long pageCount) {
    long words = (pageCount + 63) / 64;
    return roundUpToPage(words * 8);
  }

  static long writtenBitmapOffset(long pageCount) {
    return PAGE_SIZE + bitmapBytes(pageCount);
  }

  static long dataOffset(long pageCount) {
    return PAGE_SIZE + 2 * bitmapBytes(pageCount);
  }

  static long fileSize(long pageCount) {
    return dataOffset(pageCount) + pageCount * PAGE_SIZE;
  }

  static long roundUpToPage(long n) {
    return (n + PAGE_SIZE - 1) & ~(long) (PAGE_SIZE - 1);
  }

  /** Checks a guest memory size; the message says what is allowed. */
  public static void checkSize(long sizeBytes) {
    String problem = io.roam.common.model.VmSpec.checkMemory(sizeBytes);
    if (problem != null) {
      throw new GuestMemoryException("guest " + problem);
    }
  }
}
