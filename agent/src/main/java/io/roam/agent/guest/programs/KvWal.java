package io.roam.agent.guest.programs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One open segment of the kv program's write-ahead log, on the shared datastore. A VM's disk
 * directory holds snapshots and log segments named by (owner epoch, segment number):
 *
 * <pre>
 *   snap-EEEEEEEEEEEEEEEEEEE-SSSSSSSSS   the whole table and session table
 *   log-EEEEEEEEEEEEEEEEEEE-SSSSSSSSS    requests in {@link KvLogFormat} frames; its first record is
 *                                        a FENCE of epoch E that names what it continues: the
 *                                        snapshot of its own name, or the previous segment cut
 *                                        at a given length (a migration's destination)
 * </pre>
 *
 * Every segment has exactly one writer: a copy of the VM only ever appends to a segment it created
 * itself under its own epoch, never to one another copy may still write (on NFS, appends of two
 * clients are not atomic and can overwrite each other). Requests are appended in one frame per
 * step and forced once per step (group commit) before any of them is applied or acknowledged. See
 * DESIGN.md "The kv write-ahead log".
 *
 * <p>Thread-safety: none; the VM's runtime thread only.
 */
final class KvWal implements AutoCloseable {
  static final String SNAPSHOT = "snap-";
  static final String LOG = "log-";

  private final FileChannel channel;
  private final SlowDatastoreFault slow;
  private final long epoch;
  private final long segment;
  private long length;

  private KvWal(FileChannel channel, long epoch, long segment, SlowDatastoreFault slow) {
    this.channel = channel;
    this.epoch = epoch;
    this.segment = segment;
    this.slow = slow;
  }

  static String name(String prefix, long epoch, long segment) {
    return String.format("%s%019d-%09d", prefix, epoch, segment);
  }

  /** A file name's (epoch, segment), or null when it is not a snapshot or log of this layout. */
  static long[] parse(String fileName, String prefix) {
    if (!fileName.startsWith(prefix) || fileName.length() != prefix.length() + 29 || fileName.charAt(prefix.length() + 19) != '-') {
      return null;
    }
    try {
      return new long[] {Long.parseLong(fileName.substring(prefix.length(), prefix.length() + 19)),
          Long.parseLong(fileName.substring(prefix.length() + 20))};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * Starts a new segment, empty but for its FENCE of {@code epoch}, forced with its directory
   * entry before it returns: from then on a replay follows this segment, and what an older copy
   * still writes elsewhere is never read.
   *
   * @param previous the segment this one continues (cut at its length), or null when it continues
   *     the snapshot of its own name
   */
  static KvWal create(Path dir, long epoch, long segment, KvLogFormat.Previous previous, SlowDatastoreFault slow)
      throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(name(LOG, epoch, segment));
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    KvWal wal = new KvWal(ch, epoch, segment, slow);
    wal.write(KvLogFormat.fence(epoch, previous));
    forceDirectory(dir);
    return wal;
  }

  /** Appends one step's requests as one record and forces them to disk (one force for the whole group). */
  void append(List<String> lines, long timeMs) throws IOException {
    if (!lines.isEmpty()) {
      write(KvLogFormat.batch(epoch, timeMs, lines));
    }
  }

  private void write(ByteBuffer frame) throws IOException {
    long at = length;
    while (frame.hasRemaining()) {
      at += channel.write(frame, at);
    }
    if (slow != null) {
      slow.beforeForce();
    }
    channel.force(false);
    length = at;
  }

  long epoch() {
    return epoch;
  }

  long segment() {
    return segment;
  }

  long length() {
    return length;
  }

  /**
   * Deletes the snapshots and segments older than (epoch, segment), which a newer snapshot made
   * useless. A writer deletes only what is older than its own newest snapshot, and nothing when
   * it sees a newer epoch's file: a stale copy never deletes what a newer owner relies on (the
   * destination of a migration continues the source's segment until its own first snapshot).
   */
  static void deleteOlderThan(Path dir, long epoch, long segment) throws IOException {
    List<Path> old = new ArrayList<>();
    boolean newerOwner = false;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String n = f.getFileName().toString();
        long[] es = parse(n, SNAPSHOT);
        if (es == null) {
          es = parse(n, LOG);
        }
        if (es == null && n.startsWith(SNAPSHOT) && n.endsWith(".tmp")) {
          es = parse(n.substring(0, n.length() - 4), SNAPSHOT);
        }
        if (es != null && (es[0] < epoch || (es[0] == epoch && es[1] < segment))) {
          old.add(f);
        }
        newerOwner |= es != null && es[0] > epoch;
      }
    }
    if (newerOwner) {
      return;
    }
    for (Path f : old) {
      Files.deleteIfExists(f);
    }
  }

  /** The highest segment number of any snapshot or log in {@code dir} (0: none); a listing, no reads. */
  static long newestSegment(Path dir) throws IOException {
    long newest = 0;
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String n = f.getFileName().toString();
        long[] es = parse(n, n.startsWith(SNAPSHOT) ? SNAPSHOT : LOG);
        if (es != null) {
          newest = Math.max(newest, es[1]);
        }
      }
    }
    return newest;
  }

  static void forceDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some file systems cannot open a directory for sync; the rename is still atomic there.
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
