package io.roam.agent.guest.programs;

import java.util.Locale;

/**
 * The kv protocol's meaning: applies one request line to a table and returns its reply. The live
 * VM and a replay of its log call the same code with the same time (the time of the log batch the
 * request came in), so they take the same decisions, session evictions included.
 *
 * <p>Thread-safety: none; one thread per table.
 */
final class KvCommands {
  private static final int MAX_ECHO = 64;
  /**
   * The longest reply {@link #handle} gives, in UTF-8 bytes without the newline: a value and its
   * {@code VALUE } prefix, or an error that echoes at most a key or {@value #MAX_ECHO} characters.
   * Connections reserve this much per request they take ({@link KvConnection}).
   */
  static final int MAX_REPLY = 512;

  private KvCommands() {}

  /** Whether a request may change the table or the session table, and so must reach the log first. */
  static boolean changes(String line) {
    String upper = line.toUpperCase(Locale.ROOT);
    return !(upper.startsWith("GET ") || upper.equals("PING"));
  }

  /** Applies one request (numbered or not) and returns the reply. */
  static String handle(KvTable table, String line, long nowMs) {
    if (line.startsWith("R ")) {
      String[] p = line.split(" ", 4);
      long client;
      long seq;
      try {
        client = Long.parseLong(p[1]);
        seq = Long.parseLong(p[2]);
      } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
        return "ERR usage: R client seq COMMAND";
      }
      if (client == 0 || seq < 1 || p.length < 4) {
        return "ERR usage: R client seq COMMAND (client must not be 0, seq counts from 1)";
      }
      KvSessions sessions = table.sessions();
      String decided = sessions.check(client, seq, nowMs);
      if (decided != null) {
        return decided;
      }
      String reply = apply(table, p[3]);
      sessions.remember(client, seq, reply, nowMs);
      return reply;
    }
    return apply(table, line);
  }

  private static String apply(KvTable table, String line) {
    String[] parts = line.split(" ", 3);
    try {
      switch (parts[0].toUpperCase(Locale.ROOT)) {
        case "PUT":
          if (parts.length < 3) {
            return "ERR usage: PUT key value";
          }
          return table.put(parts[1], parts[2]) ? "OK" : "ERR table full";
        case "GET":
          if (parts.length != 2) {
            return "ERR usage: GET key";
          }
          String v = table.get(parts[1]);
          return v == null ? "NOTFOUND" : "VALUE " + v;
        case "DEL":
          if (parts.length != 2) {
            return "ERR usage: DEL key";
          }
          return table.delete(parts[1]) ? "OK" : "NOTFOUND";
        case "INCR":
          if (parts.length != 2) {
            return "ERR usage: INCR key";
          }
          return "VALUE " + table.increment(parts[1]);
        case "PING":
          return "PONG";
        default:
          // Echo a bounded part: every reply must fit a session slot (KvSessions.MAX_REPLY).
          String word = parts[0].length() > MAX_ECHO ? parts[0].substring(0, MAX_ECHO) + "..." : parts[0];
          return "ERR unknown command " + word;
      }
    } catch (IllegalArgumentException e) {
      return "ERR " + e.getMessage();
    }
  }
}
