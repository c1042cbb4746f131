package io.roam.agent.migration;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Named fault points in the migration path, for tests of real processes. No-ops unless the
 * process was started with {@code -Droam.faults=point=action,...}, or a test in the same JVM arms
 * one. Actions: {@code crash} (the process halts at once, as under kill -9), {@code fail} (the step
 * throws), {@code corrupt} (used by the sender: the next batch, or page, goes out with a wrong checksum).
 */
public final class FaultPoints {
  /** Source: after the destination prepared, before any page is sent. */
  public static final String SOURCE_AFTER_PREPARE = "migration.source.afterPrepare";
  /** Source: after round 0 was sent (pre-copy is under way). */
  public static final String SOURCE_DURING_PRECOPY = "migration.source.duringPrecopy";
  /** Source: the VM is paused and the destination verified everything; ownership not yet moved. */
  public static final String SOURCE_BEFORE_CAS = "migration.source.beforeCas";
  /** Source: ownership moved to the destination; the destination has not been told to resume. */
  public static final String SOURCE_AFTER_CAS = "migration.source.afterCas";
  /** Source: corrupt the checksum of the next page batch. */
  public static final String SOURCE_CORRUPT_BATCH = "migration.source.corruptBatch";
  /**
   * Source: the next page goes out with a checksum its bytes do not have, in a consistent batch, as
   * if it changed in flight; unlike a real change, it is never sent again (corruption).
   */
  public static final String SOURCE_CORRUPT_PAGE = "migration.source.corruptPage";
  /**
   * FT primary: the next checkpoint is torn (its pages sent, its end not) and the connection
   * dropped, as when the primary's host dies in the middle of a checkpoint ("tear").
   */
  public static final String SOURCE_TEAR_CHECKPOINT = "ft.primary.tearCheckpoint";
  /** Destination: a page batch arrived. */
  public static final String DEST_ON_PAGES = "migration.dest.onPages";

  private static final Map<String, String> ARMED = new ConcurrentHashMap<>(parse(System.getProperty("roam.faults", "")));

  private static final long FILE_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final Object FILE_LOCK = new Object();
  private static volatile Path file = fileFromProperty();
  private static long fileReadAtNanos;
  private static boolean fileEverRead;
  private static String fileContent = "";
  private static Map<String, String> armedByFile = Map.of();

  private FaultPoints() {}

  private static Path fileFromProperty() {
    String f = System.getProperty("roam.faults.file", "");
    return f.isEmpty() ? null : Path.of(f);
  }

  /** Watches {@code f} for armed points from now on (null: no file), as -Droam.faults.file does (tests). */
  static void watchFile(Path f) {
    synchronized (FILE_LOCK) {
      file = f;
      fileEverRead = false;
      fileContent = "";
      armedByFile.forEach(ARMED::remove);
      armedByFile = Map.of();
    }
  }

  /** Re-reads the faults file if it is due (at most every 100 ms); a new content arms its points. */
  private static void reloadFileIfDue() {
    Path f = file;
    if (f == null) {
      return;
    }
    synchronized (FILE_LOCK) {
      long now = System.nanoTime();
      if (fileEverRead && now - fileReadAtNanos < FILE_PERIOD_NANOS) {
        return;
      }
      fileEverRead = true;
      fileReadAtNanos = now;
      String content;
      try {
        content = Files.readString(f, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        content = "";
      } catch (IOException e) {
        return; // unreadable for now (being rewritten): keep what is armed, try again later
      }
      if (content.equals(fileContent)) {
        return;
      }
      armedByFile.forEach(ARMED::remove); // only the ones still armed with the old action
      Map<String, String> points = parseLines(content);
      ARMED.putAll(points);
      armedByFile = points;
      fileContent = content;
    }
  }

  /** {@code point=action} lines; blank lines and {@code #} comments are skipped. */
  static Map<String, String> parseLines(String content) {
    Map<String, String> m = new HashMap<>();
    for (String line : content.split("\n")) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        m.putAll(parse(l));
      }
    }
    return m;
  }

  static Map<String, String> parse(String spec) {
    Map<String, String> m = new HashMap<>();
    for (String part : spec.split(",")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        m.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
      }
    }
    return m;
  }

  /** Arms a point in this JVM (tests). */
  public static void arm(String point, String action) {
    ARMED.put(point, action);
  }

  public static void disarmAll() {
    ARMED.clear();
  }

  /** Takes the action armed at {@code point}, if any; a point fires once. */
  public static void hit(String point) {
    reloadFileIfDue();
    String action = ARMED.remove(point);
    if (action == null) {
      return;
    }
    switch (action) {
      case "crash" -> {
        System.err.println("fault point " + point + ": crashing this process");
        Runtime.getRuntime().halt(99);
      }
      case "fail" -> throw new IllegalStateException("fault injected at " + point);
      default -> ARMED.put(point, action); // not an action for hit(); left for isArmed()
    }
  }

  /** True once if {@code point} is armed with {@code action} (consumes it). */
  public static boolean take(String point, String action) {
    reloadFileIfDue();
    return ARMED.remove(point, action);
  }
}
