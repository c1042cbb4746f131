package io.roam.agent.guest.programs;

import io.roam.agent.memory.GuestMemory;
import io.roam.common.kv.KvClient;
import java.nio.charset.StandardCharsets;

/**
 * Exactly-once replies for retried requests, kept in guest memory so they move with the VM. Each
 * client numbers its requests from 1; the table remembers, per client, the last request number,
 * the full reply it got and when the client was last heard from. A retry of that request (its reply
 * was lost, say at a switchover) gets the same reply without being applied again.
 *
 * <p>The rule that keeps it bounded and never silently at-least-once ({@link #check}):
 *
 * <ul>
 *   <li>a client the table does not know starts a session only with request number 1;
 *   <li>any other number from an unknown client gets {@code ERR session expired} and is not
 *       applied (its session was evicted, or the VM lost its memory): the client learns that it
 *       must start a new session, and nothing is applied twice;
 *   <li>when all {@value #SLOTS} slots are taken, a new session evicts the least recently heard-from
 *       one, but only if that client has been silent for at least {@link KvClient#SESSION_MIN_IDLE};
 *       otherwise the new client gets {@code ERR too many sessions}. A client retries a request for
 *       less than that time, so a retry always finds its session (number 1 included).
 * </ul>
 *
 * Times are those of the log batch a request came in (see {@link KvCommands}), so that a replay of
 * the log takes the same decisions as the live VM did.
 *
 * <pre>
 * 1024 slots of 2 KiB, linear probing by client id (deletion shifts entries back: no tombstones):
 *   long client id (0 = empty), long last request number, long last heard from (ms),
 *   int reply length, int pad, reply (at most 2016 bytes: every reply kv makes fits)
 * </pre>
 *
 * <p>Thread-safety: none; the VM's runtime thread only.
 */
final class KvSessions {
  static final int SLOTS = 1024;
  private static final int SLOT = 2048;
  static final long BYTES = (long) SLOTS * SLOT;
  static final int MAX_REPLY = SLOT - 32;
  static final String EXPIRED = "ERR session expired";

  private final GuestMemory memory;
  private final long base;
  private final long countAddress;

  KvSessions(GuestMemory memory, long base, long countAddress) {
    this.memory = memory;
    this.base = base;
    this.countAddress = countAddress;
  }

  /**
   * Decides a numbered request before it is applied: returns the reply to send without applying
   * it (the stored reply of a retry, or an error), or null when the caller must apply it and then
   * {@link #remember} the reply.
   */
  String check(long client, long seq, long nowMs) {
    long slot = find(client);
    if (slot >= 0) {
      long last = memory.getLong(slot + 8);
      if (seq == last) {
        memory.putLong(slot + 16, nowMs);
        return storedReply(slot);
      }
      if (seq < last) {
        return "ERR request " + seq + " is older than the last one applied (" + last + ")";
      }
      return null;
    }
    if (seq != 1) {
      return EXPIRED;
    }
    if (count() < SLOTS) {
      return null;
    }
    long lru = leastRecentlyUsed();
    if (nowMs - memory.getLong(lru + 16) < KvClient.SESSION_MIN_IDLE.toMillis()) {
      return "ERR too many sessions: " + SLOTS + " clients were active in the last "
          + KvClient.SESSION_MIN_IDLE.toMinutes() + " minutes";
    }
    remove(lru);
    return null;
  }

  /** Records the reply to an applied request; {@link #check} returned null for it just before. */
  void remember(long client, long seq, String reply, long nowMs) {
    byte[] b = reply.getBytes(StandardCharsets.UTF_8);
    if (b.length > MAX_REPLY) {
      throw new IllegalStateException("reply of " + b.length + " bytes exceeds the session slot (" + MAX_REPLY + ")");
    }
    long slot = find(client);
    if (slot < 0) {
      slot = claim(client);
    }
    memory.write(slot + 32, b, 0, b.length);
    memory.putInt(slot + 24, b.length);
    memory.putLong(slot + 16, nowMs);
    memory.putLong(slot + 8, seq);
  }

  /** How many sessions the table holds. */
  long count() {
    return memory.getLong(countAddress);
  }

  /** Calls {@code visit} with every session (snapshots). */
  void forEach(Visitor visit) {
    long left = count(); // stop once all are seen: untouched pages stay unmapped
    for (int i = 0; i < SLOTS && left > 0; i++) {
      long slot = slotAddress(i);
      long client = memory.getLong(slot);
      if (client != 0) {
        left--;
        visit.session(client, memory.getLong(slot + 8), memory.getLong(slot + 16), storedReply(slot));
      }
    }
  }

  /** Puts a session back as a snapshot recorded it. */
  void restore(long client, long seq, long lastUsedMs, String reply) {
    remember(client, seq, reply, lastUsedMs);
  }

  interface Visitor {
    void session(long client, long seq, long lastUsedMs, String reply);
  }

  private String storedReply(long slot) {
    byte[] b = new byte[memory.getInt(slot + 24)];
    memory.read(slot + 32, b, 0, b.length);
    return new String(b, StandardCharsets.UTF_8);
  }

  /** The least recently heard-from session; ties go to the smaller client id (replay decides alike). */
  private long leastRecentlyUsed() {
    long best = -1;
    for (int i = 0; i < SLOTS; i++) {
      long slot = slotAddress(i);
      long client = memory.getLong(slot);
      if (client == 0) {
        continue;
      }
      if (best < 0 || memory.getLong(slot + 16) < memory.getLong(best + 16)
          || (memory.getLong(slot + 16) == memory.getLong(best + 16) && client < memory.getLong(best))) {
        best = slot;
      }
    }
    return best;
  }

  private long find(long client) {
    for (int i = 0, h = home(client); i < SLOTS; i++) {
      long slot = slotAddress((h + i) & (SLOTS - 1));
      long id = memory.getLong(slot);
      if (id == client) {
        return slot;
      }
      if (id == 0) {
        return -1;
      }
    }
    return -1;
  }

  private long claim(long client) {
    for (int i = 0, h = home(client); i < SLOTS; i++) {
      long slot = slotAddress((h + i) & (SLOTS - 1));
      if (memory.getLong(slot) == 0) {
        memory.putLong(slot, client);
        memory.putLong(countAddress, count() + 1);
        return slot;
      }
    }
    throw new IllegalStateException("session table full; check() must make room first");
  }

  /** Removes a session and shifts later entries of its probe run back (linear probing without tombstones). */
  private void remove(long slot) {
    int hole = (int) ((slot - base) / SLOT);
    int j = hole;
    for (int step = 1; step < SLOTS; step++) { // a full table has no empty slot to stop at
      j = (j + 1) & (SLOTS - 1);
      long js = slotAddress(j);
      long id = memory.getLong(js);
      if (id == 0) {
        break;
      }
      int k = home(id);
      boolean staysPut = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
      if (staysPut) {
        continue;
      }
      byte[] copy = new byte[32 + memory.getInt(js + 24)];
      memory.read(js, copy, 0, copy.length);
      memory.write(slotAddress(hole), copy, 0, copy.length);
      hole = j;
    }
    memory.putLong(slotAddress(hole), 0);
    memory.putLong(countAddress, count() - 1);
  }

  private long slotAddress(int index) {
    return base + (long) index * SLOT;
  }

  private static int home(long client) {
    long h = client * 0x9E3779B97F4A7C15L;
    return (int) (h >>> 54) & (SLOTS - 1);
  }
}
