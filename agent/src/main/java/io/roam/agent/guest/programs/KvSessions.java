package io.roam.agent.guest.programs;

import io.roam.agent.memory.GuestMemory;
import java.nio.charset.StandardCharsets;

/**
 * Exactly-once replies for retried requests, kept in guest memory so they move with the VM. Each
 * client numbers its requests; the table remembers, per client, the last request number and the
 * reply it got. A retry of that request (its reply was lost, say at a switchover) gets the same
 * reply without being applied again.
 *
 * <pre>
 * 1024 slots of 512 bytes, open addressing by client id:
 *   long client id (0 = empty), long last request number, int reply length, reply (at most 490 bytes)
 * </pre>
 */
final class KvSessions {
  static final long BYTES = 1024 * 512;
  private static final int SLOTS = 1024;
  private static final int SLOT = 512;
  private static final int MAX_REPLY = SLOT - 20;

  private final GuestMemory memory;
  private final long base;

  KvSessions(GuestMemory memory, long base) {
    this.memory = memory;
    this.base = base;
  }

  /** The stored reply if {@code seq} was already applied for this client, else null. */
  String replayed(long client, long seq) {
    long slot = find(client, false);
    if (slot < 0 || memory.getLong(slot) != client) {
      return null;
    }
    long last = memory.getLong(slot + 8);
    if (seq == last) {
      byte[] b = new byte[memory.getInt(slot + 16)];
      memory.read(slot + 20, b, 0, b.length);
      return new String(b, StandardCharsets.UTF_8);
    }
    if (seq < last) {
      return "ERR request " + seq + " is older than the last one applied (" + last + ")";
    }
    return null;
  }

  void remember(long client, long seq, String reply) {
    long slot = find(client, true);
    if (slot < 0) {
      return; // table full: this client gets at-least-once, which PUT and DEL tolerate
    }
    byte[] b = reply.getBytes(StandardCharsets.UTF_8);
    int n = Math.min(b.length, MAX_REPLY);
    memory.write(slot + 20, b, 0, n);
    memory.putInt(slot + 16, n);
    memory.putLong(slot + 8, seq);
    memory.putLong(slot, client);
  }

  private long find(long client, boolean claim) {
    int h = (int) ((client ^ (client >>> 32)) & (SLOTS - 1));
    for (int i = 0; i < SLOTS; i++) {
      long slot = base + (long) ((h + i) & (SLOTS - 1)) * SLOT;
      long id = memory.getLong(slot);
      if (id == client) {
        return slot;
      }
      if (id == 0) {
        return claim ? slot : -1;
      }
    }
    return -1;
  }
}
