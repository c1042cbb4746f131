package io.roam.agent.vm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads a piece of a VM's log for `roamctl vm logs`: from an offset, or the last bytes of the file,
 * at most {@link #MAX_CHUNK} at a time (a reader cannot make the agent hold a whole log in memory).
 * A reader following the log passes back the file's identity (device and inode): when the log was
 * rotated, or truncated below the offset, the next read starts at the new file's beginning and
 * says so, instead of skipping what the new file holds.
 *
 * <p>Stateless and thread-safe; reads race with the VM's writes only in the harmless way of `tail`.
 */
public final class VmLogReader {
  private VmLogReader() {}

  public static final int MAX_CHUNK = 1 << 20;

  /** What one read returned. */
  public record Chunk(byte[] data, long nextOffset, long size, boolean restarted, String fileId) {}

  /**
   * @param offset where to read from; negative: the last {@code maxBytes} of the file
   * @param maxBytes at most this many (capped at {@link #MAX_CHUNK}; 0 or less means the cap)
   * @param previousFileId the identity the previous chunk returned, or empty
   */
  public static Chunk read(Path file, long offset, int maxBytes, String previousFileId) throws IOException {
    int limit = maxBytes <= 0 ? MAX_CHUNK : Math.min(maxBytes, MAX_CHUNK);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
      String fileId = key == null ? "" : key.toString();
      long size = ch.size();
      boolean sameFile = previousFileId.isEmpty() || previousFileId.equals(fileId);
      long start;
      boolean restarted = false;
      if (offset < 0) {
        start = Math.max(0, size - limit);
      } else if (!sameFile || offset > size) {
        start = 0;
        restarted = true;
      } else {
        start = offset;
      }
      byte[] data = new byte[(int) Math.min(limit, size - start)];
      ByteBuffer buf = ByteBuffer.wrap(data);
      while (buf.hasRemaining()) {
        if (ch.read(buf, start + buf.position()) < 0) {
          data = java.util.Arrays.copyOf(data, buf.position()); // the file shrank while read
          break;
        }
      }
      return new Chunk(data, start + data.length, size, restarted, fileId);
    } catch (NoSuchFileException e) {
      // No log yet (a VM created and never started): an empty log, not an error.
      return new Chunk(new byte[0], 0, 0, offset > 0, "");
    }
  }
}
