package io.roam.agent.guest.programs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Rebuilds a kv table from a VM's disk directory (see {@link KvWal} for its files). The state is
 * the newest segment, by (epoch, number), whose FENCE header is intact, followed back through the
 * segments it continues (each cut at the length its successor fixed) to a snapshot; then the
 * snapshot is loaded and the segments replayed forward as streams. A segment is read only up to
 * its first torn or damaged frame, and only up to the length its successor fixed, so records that
 * an older copy wrote after the new owner started are never read; inside a segment, records of an
 * epoch older than the last FENCE seen do not count either.
 *
 * <p>Stateless; safe from any thread for different tables.
 */
final class KvRecovery {
  private KvRecovery() {}

  /** A segment to replay, up to {@code limit} bytes. */
  record Link(Path log, long limit) {}

  /**
   * What a recovery will read: the base snapshot (null: the disk is empty) and the segments after
   * it, oldest first; the state's own (epoch, segment); the newest epoch and number on the disk;
   * and how many segments the chain has past its snapshot.
   */
  record Plan(Path snapshot, List<Link> links, long epoch, long segment, long newestEpoch, long newestSegment,
      int depth) {
    /** The same plan with its newest segment read only up to {@code length} (where a new owner fenced it). */
    Plan cutAt(long length) {
      List<Link> cut = new ArrayList<>(links);
      Link last = cut.remove(cut.size() - 1);
      cut.add(new Link(last.log(), Math.min(last.limit(), length)));
      return new Plan(snapshot, List.copyOf(cut), epoch, segment, newestEpoch, newestSegment, depth);
    }
  }

  static Plan plan(Path dir) throws IOException {
    TreeSet<String> keys = new TreeSet<>(); // "EEEE...-SSSS..." of every snapshot and log; fixed width, so name order
    long newestEpoch = 0;
    long newestSegment = 0;
    if (Files.isDirectory(dir)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
        for (Path f : files) {
          String n = f.getFileName().toString();
          String prefix = n.startsWith(KvWal.SNAPSHOT) ? KvWal.SNAPSHOT : KvWal.LOG;
          long[] es = KvWal.parse(n, prefix);
          if (es != null) {
            keys.add(n.substring(prefix.length()));
            newestEpoch = Math.max(newestEpoch, es[0]);
            newestSegment = Math.max(newestSegment, es[1]);
          }
        }
      }
    }
    for (String key : keys.descendingSet()) {
      long[] es = KvWal.parse(KvWal.LOG + key, KvWal.LOG);
      Path log = dir.resolve(KvWal.LOG + key);
      KvLogFormat.Record fence = Files.exists(log) ? header(log) : null;
      if (fence != null) {
        // A segment that was fenced and may have served: its chain must resolve, or boot must not go on.
        List<Link> links = new ArrayList<>();
        long limit = Long.MAX_VALUE;
        Path at = log;
        KvLogFormat.Record h = fence;
        while (true) {
          links.add(0, new Link(at, limit));
          if (h.previous() == null) {
            Path snap = dir.resolve(KvWal.SNAPSHOT + at.getFileName().toString().substring(KvWal.LOG.length()));
            if (KvSnapshot.check(snap) == null) {
              throw new IOException("the VM's disk " + dir + ": segment " + at.getFileName() + " continues snapshot "
                  + snap.getFileName() + ", which is missing or damaged; refusing to boot with part of its data");
            }
            return new Plan(snap, links, es[0], es[1], newestEpoch, newestSegment, links.size() - 1);
          }
          limit = h.previous().length();
          at = dir.resolve(KvWal.name(KvWal.LOG, h.previous().epoch(), h.previous().segment()));
          h = Files.exists(at) ? header(at) : null;
          if (h == null) {
            throw new IOException("the VM's disk " + dir + ": segment " + links.get(0).log().getFileName()
                + " continues " + at.getFileName() + ", which is missing or damaged; refusing to boot with part of its data");
          }
        }
      }
      // No intact segment of this name (it was never fenced, so it never served): its snapshot alone.
      Path snap = dir.resolve(KvWal.SNAPSHOT + key);
      if (Files.exists(snap) && KvSnapshot.check(snap) != null) {
        return new Plan(snap, List.of(), es[0], es[1], newestEpoch, newestSegment, 0);
      }
    }
    if (!keys.isEmpty()) {
      throw new IOException("the VM's disk " + dir + " has log segments but no readable snapshot; refusing to boot"
          + " with part of its data");
    }
    return new Plan(null, List.of(), 0, 0, 0, 0, 0);
  }

  /** Loads a plan's state into a freshly formatted {@code table}. */
  static void load(Plan plan, KvTable table) throws IOException {
    if (plan.snapshot() == null) {
      return;
    }
    KvSnapshot.load(plan.snapshot(), table);
    for (Link l : plan.links()) {
      replaySegment(l.log(), l.limit(), table);
    }
  }

  /** The FENCE a segment starts with, or null when its first frame is torn (it never served). */
  private static KvLogFormat.Record header(Path log) throws IOException {
    try (KvLogFormat.Reader r = new KvLogFormat.Reader(log)) {
      KvLogFormat.Record first = r.next();
      return first != null && first.type() == KvLogFormat.FENCE ? first : null;
    }
  }

  /** Applies a segment's records, up to {@code limit} bytes, under the fence rule. */
  private static void replaySegment(Path log, long limit, KvTable table) throws IOException {
    long fence = 0;
    try (KvLogFormat.Reader r = new KvLogFormat.Reader(log, limit)) {
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
    }
  }
}
