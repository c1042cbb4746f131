package io.roam.agent.fencing;

import io.roam.agent.vm.VmOperationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Refuses commands from stale masters: every mutating call carries the sender's leader epoch, and
 * an epoch older than the newest one seen is refused (DESIGN.md, "only the leader acts"). The
 * newest epoch is kept on disk, so a restarted agent still refuses a master it had outlived; it is
 * forced to disk (the file, then its directory after the rename) before the command is admitted,
 * so that not even a power cut right after can bring an older epoch back. Thread-safe.
 */
public final class EpochGuard {
  /** Forces a file's data, or a directory's entries, to stable storage (fsync). */
  interface Disk {
    void force(Path fileOrDirectory) throws IOException;

    Disk REAL = path -> {
      // A directory opens read-only; fsync on it makes a rename inside it durable (Linux).
      try (FileChannel ch = FileChannel.open(path, Files.isDirectory(path) ? StandardOpenOption.READ
          : StandardOpenOption.WRITE)) {
        ch.force(true);
      }
    };
  }

  private final Path file;
  private final Disk disk;
  private long newest;

  public EpochGuard(Path file) {
    this(file, Disk.REAL);
  }

  EpochGuard(Path file, Disk disk) {
    this.file = file.toAbsolutePath();
    this.disk = disk;
    try {
      newest = Files.exists(file) ? Long.parseLong(Files.readString(file).trim()) : 0;
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("cannot read the master epoch from " + file + ": " + e.getMessage(), e);
    }
  }

  /** Admits a command stamped with {@code epoch}, or throws a STALE_EPOCH error. */
  public synchronized void admit(long epoch) {
    if (epoch < newest) {
      throw new VmOperationException(VmOperationException.Kind.STALE_EPOCH, "command from master epoch " + epoch
          + " refused: this agent has seen epoch " + newest + " (the sender is no longer the leader)");
    }
    if (epoch > newest) {
      persist(epoch);
      newest = epoch;
    }
  }

  public synchronized long newest() {
    return newest;
  }

  private void persist(long epoch) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, Long.toString(epoch), StandardCharsets.UTF_8);
      disk.force(tmp); // the bytes are on disk before the name points at them
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      disk.force(file.getParent()); // and the rename itself
    } catch (IOException e) {
      throw new UncheckedIOException("cannot persist master epoch to " + file, e);
    }
  }
}
