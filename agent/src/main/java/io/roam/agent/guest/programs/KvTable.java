package io.roam.agent.guest.programs;

import io.roam.agent.memory.GuestMemory;
import java.nio.charset.StandardCharsets;

/**
 * A hash table that lives entirely in guest memory, so it moves with the VM.
 *
 * <pre>
 * address 0      superblock: long magic "ROAMKV02", long slot count, long live entries,
 *                long live sessions, then the write-ahead log position (see {@link #walEpoch}):
 *                long segment epoch, long segment number, long length, long segments since a snapshot
 * address 4096   the session table of {@link KvSessions} (2 MiB)
 * then           slots of 512 bytes, open addressing with linear probing:
 *                  int state (0 empty, 1 live, 2 deleted), int key length, int value length, int pad,
 *                  key (at most 112 bytes) at +16, value (at most 384 bytes) at +128
 * </pre>
 *
 * A put writes key and value before the state word, so a slot is never live with half its bytes.
 */
public final class KvTable {
  public static final int MAX_KEY = 112;
  public static final int MAX_VALUE = 384;
  private static final long MAGIC = 0x524F414D4B563032L; // "ROAMKV02"
  private static final int SLOT = 512;
  private static final long SESSIONS_START = 4096;
  private static final long SLOTS_START = SESSIONS_START + KvSessions.BYTES;
  private static final int EMPTY = 0;
  private static final int LIVE = 1;
  private static final int DELETED = 2;

  private final GuestMemory memory;
  private final long slotCount;

  private KvTable(GuestMemory memory, long slotCount) {
    this.memory = memory;
    this.slotCount = slotCount;
  }

  /** Formats fresh (zeroed) memory as an empty table. */
  public static KvTable format(GuestMemory memory) {
    long slots = (memory.size() - SLOTS_START) / SLOT;
    memory.putLong(8, slots);
    memory.putLong(16, 0);
    memory.putLong(0, MAGIC);
    return new KvTable(memory, slots);
  }

  /** Attaches to a table already in memory (after a move). */
  public static KvTable attach(GuestMemory memory) {
    if (memory.getLong(0) != MAGIC) {
      throw new IllegalStateException("guest memory holds no kv table (bad magic)");
    }
    return new KvTable(memory, memory.getLong(8));
  }

  private static final long OFF_SESSIONS = 24;
  private static final long OFF_WAL_EPOCH = 32;
  private static final long OFF_WAL_SEGMENT = 40;
  private static final long OFF_WAL_LENGTH = 48;
  private static final long OFF_WAL_DEPTH = 56;

  KvSessions sessions() {
    return new KvSessions(memory, SESSIONS_START, OFF_SESSIONS);
  }

  /** The slot count (fixed by the memory size), recorded in snapshots so that a replay can size its table. */
  public long slotCount() {
    return slotCount;
  }

  /** The smallest guest memory that holds a table of {@code slots} slots. */
  static long memoryBytesFor(long slots) {
    long bytes = SLOTS_START + slots * SLOT;
    return (bytes + 4095) / 4096 * 4096;
  }

  /**
   * Where the write-ahead log stood after the last batch this memory holds: the segment (epoch,
   * number) and its length. It moves with the memory, so the destination of a migration knows
   * where to append without reading the log.
   */
  long walEpoch() {
    return memory.getLong(OFF_WAL_EPOCH);
  }

  long walSegment() {
    return memory.getLong(OFF_WAL_SEGMENT);
  }

  long walLength() {
    return memory.getLong(OFF_WAL_LENGTH);
  }

  /** How many segments the current one is past the last snapshot (each migration adds one). */
  long walDepth() {
    return memory.getLong(OFF_WAL_DEPTH);
  }

  void walPosition(long epoch, long segment, long length, long depth) {
    memory.putLong(OFF_WAL_EPOCH, epoch);
    memory.putLong(OFF_WAL_SEGMENT, segment);
    memory.putLong(OFF_WAL_LENGTH, length);
    memory.putLong(OFF_WAL_DEPTH, depth);
  }

  void walLength(long length) {
    memory.putLong(OFF_WAL_LENGTH, length);
  }

  /** Calls {@code visit} with every live entry, in slot order (snapshots, replay checks). */
  public void forEach(java.util.function.BiConsumer<String, String> visit) {
    long left = size(); // stop once all are seen: an empty table reads (and so maps) none of its pages
    for (long i = 0; i < slotCount && left > 0; i++) {
      long slot = slotAddress(i);
      if (memory.getInt(slot) != LIVE) {
        continue;
      }
      left--;
      byte[] k = new byte[memory.getInt(slot + 4)];
      memory.read(slot + 16, k, 0, k.length);
      byte[] v = new byte[memory.getInt(slot + 8)];
      memory.read(slot + 128, v, 0, v.length);
      visit.accept(new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8));
    }
  }

  public long size() {
    return memory.getLong(16);
  }

  /** Stores a value; returns false when the table is full. */
  public boolean put(String key, String value) {
    byte[] k = checkKey(key);
    byte[] v = value.getBytes(StandardCharsets.UTF_8);
    if (v.length > MAX_VALUE) {
      throw new IllegalArgumentException("value of " + v.length + " bytes exceeds " + MAX_VALUE);
    }
    long firstFree = -1;
    long h = hash(k);
    for (long i = 0; i < slotCount; i++) {
      long slot = slotAddress((h + i) % slotCount);
      int state = memory.getInt(slot);
      if (state == LIVE && keyEquals(slot, k)) {
        writeValue(slot, v);
        return true;
      }
      if (state != LIVE && firstFree < 0) {
        firstFree = slot;
      }
      if (state == EMPTY) {
        break;
      }
    }
    if (firstFree < 0) {
      return false;
    }
    memory.putInt(firstFree + 4, k.length);
    memory.write(firstFree + 16, k, 0, k.length);
    writeValue(firstFree, v);
    memory.putInt(firstFree, LIVE);
    memory.putLong(16, size() + 1);
    return true;
  }

  /** Adds one to a counter (a missing key counts as 0) and returns the new value. */
  public long increment(String key) {
    String v = get(key);
    long n;
    try {
      n = v == null ? 0 : Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("value of " + key + " is not a number");
    }
    if (!put(key, Long.toString(n + 1))) {
      throw new IllegalArgumentException("table full");
    }
    return n + 1;
  }

  public String get(String key) {
    byte[] k = checkKey(key);
    long slot = find(k);
    if (slot < 0) {
      return null;
    }
    byte[] v = new byte[memory.getInt(slot + 8)];
    memory.read(slot + 128, v, 0, v.length);
    return new String(v, StandardCharsets.UTF_8);
  }

  public boolean delete(String key) {
    long slot = find(checkKey(key));
    if (slot < 0) {
      return false;
    }
    memory.putInt(slot, DELETED);
    memory.putLong(16, size() - 1);
    return true;
  }

  private long find(byte[] k) {
    long h = hash(k);
    for (long i = 0; i < slotCount; i++) {
      long slot = slotAddress((h + i) % slotCount);
      int state = memory.getInt(slot);
      if (state == EMPTY) {
        return -1;
      }
      if (state == LIVE && keyEquals(slot, k)) {
        return slot;
      }
    }
    return -1;
  }

  private void writeValue(long slot, byte[] v) {
    memory.write(slot + 128, v, 0, v.length);
    memory.putInt(slot + 8, v.length);
  }

  private boolean keyEquals(long slot, byte[] k) {
    if (memory.getInt(slot + 4) != k.length) {
      return false;
    }
    byte[] stored = new byte[k.length];
    memory.read(slot + 16, stored, 0, k.length);
    return java.util.Arrays.equals(stored, k);
  }

  private static long slotAddress(long index) {
    return SLOTS_START + index * SLOT;
  }

  private static byte[] checkKey(String key) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    if (k.length == 0 || k.length > MAX_KEY) {
      throw new IllegalArgumentException("key must be 1 to " + MAX_KEY + " bytes");
    }
    return k;
  }

  /** FNV-1a, made non-negative. */
  private static long hash(byte[] k) {
    long h = 0xcbf29ce484222325L;
    for (byte b : k) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h & Long.MAX_VALUE;
  }
}
