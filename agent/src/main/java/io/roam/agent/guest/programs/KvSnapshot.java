package io.roam.agent.guest.programs;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A snapshot of a kv table and its session table, so that the log can start again empty:
 *
 * <pre>
 *   long magic "ROAMKVS1", long owner epoch, long segment, long slot count
 *   entries:  repeated (byte 1, int key length, key, int value length, value), byte 0
 *   sessions: repeated (byte 1, long client, long seq, long last heard from, int reply length, reply), byte 0
 *   int CRC32C of everything before it
 * </pre>
 *
 * Written to a temporary file, forced, then renamed into place (atomic on a POSIX file system and
 * on NFS), so a snapshot under its real name is always complete. Read twice on boot: once to check
 * the checksum, then to load, so that a damaged snapshot never leaves half a table behind.
 */
final class KvSnapshot {
  private static final long MAGIC = 0x524F414D4B565331L; // "ROAMKVS1"

  private KvSnapshot() {}

  /** The header of a snapshot. */
  record Header(long epoch, long segment, long slotCount) {}

  static void write(Path dir, long epoch, long segment, KvTable table) throws IOException {
    Files.createDirectories(dir);
    String name = KvWal.name(KvWal.SNAPSHOT, epoch, segment);
    Path tmp = dir.resolve(name + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      CRC32C crc = new CRC32C();
      OutputStream raw = Channels.newOutputStream(ch);
      DataOutputStream out = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(raw, 1 << 16), crc));
      out.writeLong(MAGIC);
      out.writeLong(epoch);
      out.writeLong(segment);
      out.writeLong(table.slotCount());
      IOException[] failed = {null};
      table.forEach(new EntryWriter(out, failed));
      out.writeByte(0);
      table.sessions().forEach(new SessionWriter(out, failed));
      if (failed[0] != null) {
        throw failed[0];
      }
      out.writeByte(0);
      out.flush();
      int sum = (int) crc.getValue();
      // Past the checksummed stream: the CRC itself.
      DataOutputStream tail = new DataOutputStream(raw);
      tail.writeInt(sum);
      tail.flush();
      ch.force(true);
    }
    Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    KvWal.forceDirectory(dir);
  }

  /** Writes the entries (a class, not a lambda: VM start-up CPU). */
  private static final class EntryWriter implements java.util.function.BiConsumer<String, String> {
    private final DataOutputStream out;
    private final IOException[] failed;

    EntryWriter(DataOutputStream out, IOException[] failed) {
      this.out = out;
      this.failed = failed;
    }

    @Override
    public void accept(String key, String value) {
      try {
        out.writeByte(1);
        bytes(out, key);
        bytes(out, value);
      } catch (IOException e) {
        failed[0] = e;
      }
    }
  }

  private static final class SessionWriter implements KvSessions.Visitor {
    private final DataOutputStream out;
    private final IOException[] failed;

    SessionWriter(DataOutputStream out, IOException[] failed) {
      this.out = out;
      this.failed = failed;
    }

    @Override
    public void session(long client, long seq, long lastUsedMs, String reply) {
      try {
        out.writeByte(1);
        out.writeLong(client);
        out.writeLong(seq);
        out.writeLong(lastUsedMs);
        bytes(out, reply);
      } catch (IOException e) {
        failed[0] = e;
      }
    }
  }

  private static void bytes(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String string(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 1 << 20) {
      throw new IOException("bad length " + n);
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  /** The header of a complete snapshot whose checksum matches, or null. */
  static Header check(Path file) {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      CRC32C crc = new CRC32C();
      DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc));
      Header h = header(in);
      if (h == null) {
        return null;
      }
      while (in.readByte() == 1) {
        string(in);
        string(in);
      }
      while (in.readByte() == 1) {
        in.readLong();
        in.readLong();
        in.readLong();
        string(in);
      }
      int sum = (int) crc.getValue();
      return new DataInputStream(raw).readInt() == sum ? h : null;
    } catch (IOException e) {
      return null; // cut short or unreadable
    }
  }

  /** Loads a snapshot that {@link #check} accepted into a freshly formatted table. */
  static void load(Path file, KvTable table) throws IOException {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      if (header(in) == null) {
        throw new IOException("snapshot " + file + " changed while it was read");
      }
      while (in.readByte() == 1) {
        String k = string(in);
        String v = string(in);
        if (!table.put(k, v)) {
          throw new IOException("snapshot " + file + " holds more entries than this VM's memory has slots");
        }
      }
      KvSessions sessions = table.sessions();
      while (in.readByte() == 1) {
        long client = in.readLong();
        long seq = in.readLong();
        long last = in.readLong();
        sessions.restore(client, seq, last, string(in));
      }
    }
  }

  private static Header header(DataInputStream in) throws IOException {
    if (in.readLong() != MAGIC) {
      return null;
    }
    return new Header(in.readLong(), in.readLong(), in.readLong());
  }
}
