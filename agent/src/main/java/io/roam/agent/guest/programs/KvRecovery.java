package io.roam.agent.guest.programs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Rebuilds a kv table from a VM's disk directory: the newest snapshot whose checksum matches, then
 * the log segment of the same name, read as a stream. In a segment, a FENCE of epoch F means that
 * from there on only records of epoch F or newer count: a copy of an older epoch that still wrote
 * after the fence (its lease had run out; nothing it wrote there was acknowledged) is ignored.
 * Everything before the fence counts, whoever wrote it.
 *
 * <p>Stateless; safe from any thread for different tables.
 */
final class KvRecovery {
  private KvRecovery() {}

  /** What a recovery found: the state's own name, and the newest epoch and segment number on the disk. */
  record Result(long epoch, long segment, long newestEpoch, long newestSegment, boolean empty) {}

  /** The newest snapshot that checks out, or null when the directory has none. */
  static Path newestSnapshot(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return null;
    }
    // Walk from the newest down, checking each: a damaged newest snapshot falls back to the one before.
    java.util.List<Path> snapshots = new java.util.ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, KvWal.SNAPSHOT + "*")) {
      for (Path f : files) {
        if (KvWal.parse(f.getFileName().toString(), KvWal.SNAPSHOT) != null) {
          snapshots.add(f);
        }
      }
    }
    snapshots.sort(java.util.Comparator.comparing(Path::toString).reversed()); // fixed-width numbers: name order
    for (Path f : snapshots) {
      if (KvSnapshot.check(f) != null) {
        return f;
      }
    }
    return null;
  }

  /** Loads the disk's state into a freshly formatted {@code table}. */
  static Result recover(Path dir, KvTable table) throws IOException {
    long newestEpoch = 0;
    long newestSegment = 0;
    boolean anyLog = false;
    if (Files.isDirectory(dir)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
        for (Path f : files) {
          String n = f.getFileName().toString();
          long[] es = KvWal.parse(n, KvWal.SNAPSHOT);
          if (es == null) {
            es = KvWal.parse(n, KvWal.LOG);
            anyLog |= es != null;
          }
          if (es != null) {
            newestEpoch = Math.max(newestEpoch, es[0]);
            newestSegment = Math.max(newestSegment, es[1]);
          }
        }
      }
    }
    Path snapshot = newestSnapshot(dir);
    if (snapshot == null) {
      if (anyLog) {
        throw new IOException("the VM's disk " + dir + " has log segments but no readable snapshot; refusing to boot"
            + " with part of its data");
      }
      return new Result(0, 0, newestEpoch, newestSegment, true);
    }
    long[] es = KvWal.parse(snapshot.getFileName().toString(), KvWal.SNAPSHOT);
    KvSnapshot.load(snapshot, table);
    Path log = dir.resolve(KvWal.name(KvWal.LOG, es[0], es[1]));
    if (Files.exists(log)) {
      replaySegment(log, table);
    }
    return new Result(es[0], es[1], newestEpoch, newestSegment, false);
  }

  /** Applies a segment's records under the fence rule; returns the length of its valid records. */
  static long replaySegment(Path log, KvTable table) throws IOException {
    long fence = 0;
    try (KvLogFormat.Reader r = new KvLogFormat.Reader(log)) {
      KvLogFormat.Record rec;
      while ((rec = r.next()) != null) {
        if (rec.type() == KvLogFormat.FENCE) {
          fence = Math.max(fence, rec.epoch());
        } else if (rec.epoch() >= fence) {
          for (String line : rec.lines()) {
            KvCommands.handle(table, line, rec.timeMs());
          }
        }
      }
      return r.validLength();
    }
  }
}
