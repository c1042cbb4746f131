package io.roam.agent.guest.programs;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The table a fresh boot of a kv VM would rebuild from its write-ahead log, computed outside the VM
 * (chaos harness, tests): the log's requests applied in order to a map, numbered requests ({@code R
 * client seq COMMAND}) applied once per client and number, as the VM's session table does.
 *
 * <p>A minimal reading of today's log format (one request per line, a torn last line skipped); the
 * kv write-ahead log's own replay replaces it when the log format changes. Stateless, thread-safe.
 */
public final class KvReplay {
  private KvReplay() {}

  /** The table rebuilt from {@code vmDiskDir}/kv.wal (empty when there is no log). */
  public static Map<String, String> table(Path vmDiskDir) throws IOException {
    Map<String, String> table = new TreeMap<>();
    Path log = vmDiskDir.resolve("kv.wal");
    if (!Files.exists(log)) {
      return table;
    }
    Map<Long, Long> lastSeq = new HashMap<>();
    byte[] bytes = Files.readAllBytes(log);
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') {
      end--; // a torn last line was never acknowledged
    }
    try (BufferedReader r = new BufferedReader(new java.io.StringReader(new String(bytes, 0, end, StandardCharsets.UTF_8)))) {
      String line;
      while ((line = r.readLine()) != null) {
        applyLine(table, lastSeq, line.strip());
      }
    }
    return table;
  }

  private static void applyLine(Map<String, String> table, Map<Long, Long> lastSeq, String line) {
    if (line.startsWith("R ")) {
      String[] p = line.split(" ", 4);
      if (p.length < 4) {
        return;
      }
      long client;
      long seq;
      try {
        client = Long.parseLong(p[1]);
        seq = Long.parseLong(p[2]);
      } catch (NumberFormatException e) {
        return;
      }
      Long last = lastSeq.get(client);
      if (last != null && seq <= last) {
        return; // a retry (or an older request): the VM answered it without applying it again
      }
      lastSeq.put(client, seq);
      apply(table, p[3]);
      return;
    }
    apply(table, line);
  }

  private static void apply(Map<String, String> table, String command) {
    String[] parts = command.split(" ", 3);
    switch (parts[0].toUpperCase(Locale.ROOT)) {
      case "PUT" -> {
        if (parts.length == 3) {
          table.put(parts[1], parts[2]);
        }
      }
      case "DEL" -> {
        if (parts.length == 2) {
          table.remove(parts[1]);
        }
      }
      case "INCR" -> {
        if (parts.length == 2) {
          String v = table.get(parts[1]);
          try {
            table.put(parts[1], Long.toString((v == null ? 0 : Long.parseLong(v)) + 1));
          } catch (NumberFormatException e) {
            // the VM answered ERR and changed nothing
          }
        }
      }
      default -> {
        // GET, PING and unknown commands change nothing
      }
    }
  }
}
