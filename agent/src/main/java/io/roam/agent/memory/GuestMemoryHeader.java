package io.roam.agent.memory;

import static io.roam.agent.memory.MemoryLayout.*;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * The header page of a guest memory file: identity, geometry, the lease word, the heartbeat
 * counter and the runtime-state area. The lease and heartbeat are read and written with
 * acquire/release ordering because two processes share them.
 */
public final class GuestMemoryHeader {
  private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

  private final ByteBuffer page;

  GuestMemoryHeader(ByteBuffer page) {
    this.page = page;
  }

  void initialize(long pageCount) {
    page.putInt(OFF_VERSION, VERSION);
    page.putInt(OFF_PAGE_SIZE, PAGE_SIZE);
    page.putLong(OFF_PAGE_COUNT, pageCount);
    LONGS.setRelease(page, OFF_LEASE, 0L);
    LONGS.setRelease(page, OFF_HEARTBEAT, 0L);
    page.putInt(OFF_RUNTIME_STATE_LEN, 0);
    // The magic goes last: a file whose creation was interrupted is never taken for a valid one.
    LONGS.setRelease(page, OFF_MAGIC, MAGIC);
  }

  /** Returns the page count of a header read from {@code file}, or throws naming what is wrong. */
  static long validate(ByteBuffer hdr, Path file) {
    long magic = hdr.getLong(OFF_MAGIC);
    if (magic != MAGIC) {
      throw new GuestMemoryException("corrupt guest memory file " + file + ": bad magic 0x" + Long.toHexString(magic));
    }
    int version = hdr.getInt(OFF_VERSION);
    if (version != VERSION) {
      throw new GuestMemoryException("guest memory file " + file + " has version " + version + ", this build reads " + VERSION);
    }
    int pageSize = hdr.getInt(OFF_PAGE_SIZE);
    if (pageSize != PAGE_SIZE) {
      throw new GuestMemoryException("corrupt guest memory file " + file + ": page size " + pageSize + ", expected " + PAGE_SIZE);
    }
    long pageCount = hdr.getLong(OFF_PAGE_COUNT);
    if (pageCount <= 0 || pageCount * PAGE_SIZE > MAX_SIZE) {
      throw new GuestMemoryException("corrupt guest memory file " + file + ": page count " + pageCount);
    }
    return pageCount;
  }

  /** The time (epoch millis) until which the VM may step; 0 means never granted. */
  public long leaseDeadline() {
    return (long) LONGS.getAcquire(page, OFF_LEASE);
  }

  public void renewLease(long deadlineMillis) {
    LONGS.setRelease(page, OFF_LEASE, deadlineMillis);
  }

  public boolean leaseValid(long nowMillis) {
    return nowMillis < leaseDeadline();
  }

  public long heartbeat() {
    return (long) LONGS.getAcquire(page, OFF_HEARTBEAT);
  }

  /** Bumped by the single runtime thread of the VM; the agent only reads it. */
  public void beat() {
    LONGS.setRelease(page, OFF_HEARTBEAT, (long) LONGS.getAcquire(page, OFF_HEARTBEAT) + 1);
  }

  public byte[] runtimeState() {
    int len = page.getInt(OFF_RUNTIME_STATE_LEN);
    if (len < 0 || len > RUNTIME_STATE_CAPACITY) {
      throw new GuestMemoryException("corrupt runtime-state length " + len);
    }
    byte[] out = new byte[len];
    page.get(OFF_RUNTIME_STATE, out, 0, len);
    return out;
  }

  public void setRuntimeState(byte[] state) {
    if (state.length > RUNTIME_STATE_CAPACITY) {
      throw new GuestMemoryException("runtime state of " + state.length + " bytes exceeds " + RUNTIME_STATE_CAPACITY);
    }
    page.put(OFF_RUNTIME_STATE, state, 0, state.length);
    page.putInt(OFF_RUNTIME_STATE_LEN, state.length);
  }

  // ---- FT output commit (DESIGN.md "Fault tolerance"): the agent writes, the VM reads ----

  /** Checkpoints taken so far; output made now belongs to checkpoint {@code ftTaken() + 1}. */
  public long ftTaken() {
    return (long) LONGS.getAcquire(page, OFF_FT_TAKEN);
  }

  /** Checkpoints the secondary has acknowledged (applied whole). */
  public long ftAcked() {
    return (long) LONGS.getAcquire(page, OFF_FT_ACKED);
  }

  /** Whether output is held until the checkpoint that made it is acknowledged. */
  public boolean ftHolding() {
    return (long) LONGS.getAcquire(page, OFF_FT_HOLD) != 0;
  }

  /** The agent, while the VM is paused at a safe point: a checkpoint was captured. */
  public void setFtTaken(long taken) {
    LONGS.setRelease(page, OFF_FT_TAKEN, taken);
  }

  /** The agent: the secondary acknowledged checkpoints up to {@code acked}. */
  public void setFtAcked(long acked) {
    LONGS.setRelease(page, OFF_FT_ACKED, acked);
  }

  /**
   * The agent: hold output from now on (true, at the first checkpoint, with the VM paused), or
   * release all of it (false: protection ended and this copy is the only one).
   */
  public void setFtHolding(boolean hold) {
    LONGS.setRelease(page, OFF_FT_HOLD, hold ? 1L : 0L);
  }
}
