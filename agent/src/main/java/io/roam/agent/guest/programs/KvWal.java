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
 *   snap-EEEEEEEEEEEEEEEEEEE-SSSSSSSSS   the whole table and session table before segment S
 *   log-EEEEEEEEEEEEEEEEEEE-SSSSSSSSS    the requests after it, in {@link KvLogFormat} frames;
 *                                        its first record is a FENCE of epoch E
 * </pre>
 *
 * A state is a snapshot plus the log of the same name; the newest (epoch, then number) snapshot is
 * the current one. Requests are appended in one frame per step and forced once per step (group
 * commit) before any of them is applied or acknowledged. Writes go to the position this writer
 * knows as the end, not through O_APPEND (see DESIGN.md "The kv write-ahead log" for why, and for
 * NFS).
 *
 * <p>Thread-safety: none; the VM's runtime thread only.
 */
final class KvWal implements AutoCloseable {
  static final String SNAPSHOT = "snap-";
  static final String LOG = "log-";

  private final Path dir;
  private final FileChannel channel;
  private final SlowDatastoreFault slow;
  private final long segmentEpoch;
  private final long segment;
  private long epoch;
  private long length;

  private KvWal(Path dir, FileChannel channel, long segmentEpoch, long segment, long epoch, long length,
      SlowDatastoreFault slow) {
    this.dir = dir;
    this.channel = channel;
    this.segmentEpoch = segmentEpoch;
    this.segment = segment;
    this.epoch = epoch;
    this.length = length;
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

  /** Starts a new segment, empty but for the FENCE of {@code epoch}, forced with its directory entry. */
  static KvWal create(Path dir, long epoch, long segment, SlowDatastoreFault slow) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(name(LOG, epoch, segment));
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    KvWal wal = new KvWal(dir, ch, epoch, segment, epoch, 0, slow);
    wal.write(KvLogFormat.fence(epoch));
    forceDirectory(dir);
    return wal;
  }

  /**
   * Opens an existing segment to go on appending at {@code validLength} (what the guest memory
   * says was written; bytes past it were never applied here and are cut off first, a torn tail
   * included), and fences it for {@code epoch} when that is newer than the segment's writer.
   */
  static KvWal reopen(Path dir, long segmentEpoch, long segment, long validLength, long epoch, SlowDatastoreFault slow)
      throws IOException {
    Path file = dir.resolve(name(LOG, segmentEpoch, segment));
    if (!Files.exists(file)) {
      throw new IOException("write-ahead log " + file + " is missing; the VM's memory says it holds " + validLength + " bytes");
    }
    FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE);
    long size = ch.size();
    if (size < validLength) {
      ch.close();
      throw new IOException("write-ahead log " + file + " has " + size + " bytes; the VM's memory says it holds "
          + validLength + ": acknowledged records are missing");
    }
    if (size > validLength) {
      ch.truncate(validLength);
    }
    KvWal wal = new KvWal(dir, ch, segmentEpoch, segment, segmentEpoch, validLength, slow);
    if (epoch > segmentEpoch) {
      wal.fence(epoch);
    }
    return wal;
  }

  /** From now on this writer is the owner of {@code newEpoch}; forced before it returns. */
  void fence(long newEpoch) throws IOException {
    write(KvLogFormat.fence(newEpoch));
    epoch = newEpoch;
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

  long segmentEpoch() {
    return segmentEpoch;
  }

  long segment() {
    return segment;
  }

  long length() {
    return length;
  }

  Path dir() {
    return dir;
  }

  /**
   * Deletes the snapshots and segments older than (epoch, segment), which a newer snapshot made
   * useless. A writer deletes only what is older than its own newest snapshot, so a stale copy
   * never deletes what a newer owner (a higher epoch) relies on.
   */
  static void deleteOlderThan(Path dir, long epoch, long segment) throws IOException {
    List<Path> old = new ArrayList<>();
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
      }
    }
    for (Path f : old) {
      Files.deleteIfExists(f);
    }
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
