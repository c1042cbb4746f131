package io.roam.agent.vm;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A VM's log file ({@code <vm>.log}, the VM process's output) kept bounded: past a size it is
 * rotated into {@code <vm>.log.1}, {@code .2}, ... keeping {@code files} files in all, and a crash
 * report reads only its end.
 *
 * <p>Rotation copies the file and then truncates it in place, instead of renaming it: the VM
 * process writes through a descriptor the agent opened in append mode, and such a descriptor goes
 * on writing at the (new) end of the same file after a truncation, whereas after a rename it would
 * keep filling the renamed file.
 *
 * <p>Thread-safety: stateless; one rotator per file at a time (the agent before a launch, the VM
 * process while it runs).
 */
public final class VmLogFiles {
  /** The most a crash report reads of a log, from its end. */
  public static final int TAIL_BYTES = 16 * 1024;

  private VmLogFiles() {}

  /** Rotates {@code log} when it has reached {@code maxBytes}; returns whether it did. */
  public static boolean rotateIfOver(Path log, long maxBytes, int files) throws IOException {
    long size;
    try {
      size = Files.size(log);
    } catch (NoSuchFileException e) {
      return false;
    }
    if (size < maxBytes) {
      return false;
    }
    for (int i = files - 1; i >= 2; i--) {
      Path older = rotated(log, i - 1);
      if (Files.exists(older)) {
        Files.move(older, rotated(log, i), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    if (files >= 2) {
      Files.copy(log, rotated(log, 1), StandardCopyOption.REPLACE_EXISTING);
    }
    try (FileChannel c = FileChannel.open(log, StandardOpenOption.WRITE)) {
      c.truncate(0);
    }
    return true;
  }

  /** {@code <log>.<n>}: the n-th newest rotated file. */
  public static Path rotated(Path log, int n) {
    return log.resolveSibling(log.getFileName() + "." + n);
  }

  /**
   * The last {@code lines} lines of a log, read from at most its last {@link #TAIL_BYTES} bytes (a
   * huge log, or one huge line, costs no more); the first line is dropped when it may be cut.
   */
  public static String tail(Path log, int lines) {
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
      long length = f.length();
      int n = (int) Math.min(length, TAIL_BYTES);
      byte[] b = new byte[n];
      f.seek(length - n);
      f.readFully(b);
      String text = new String(b, StandardCharsets.UTF_8);
      String[] all = text.split("\n", -1);
      int end = all.length;
      if (end > 0 && all[end - 1].isEmpty()) {
        end--; // the newline that ends the file
      }
      int first = length > n ? 1 : 0; // a line the window began inside of
      int start = Math.max(first, end - lines);
      if (start >= end && end > 0) {
        start = end - 1; // one line longer than the window: its end is all there is to show
      }
      return String.join("\n", java.util.Arrays.asList(all).subList(Math.max(0, start), Math.max(0, end)));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
