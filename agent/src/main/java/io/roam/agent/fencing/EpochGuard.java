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
 * an epoch older than the newest one seen is refused (DESIGN.md, "only the leader acts"). An epoch
 * newer than the newest one seen is admitted only if a master has really taken it: ZooKeeper's
 * epoch node ({@link TakenEpochs}) must be at least that high, else anyone could send one call
 * with epoch 2^63-1 and make the agent refuse every real master for ever. ZooKeeper is asked only
 * when an epoch is newer than any it confirmed before (once per leadership term). The
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

  /** The newest epoch any master has taken (ZooKeeper's epoch node in production). */
  public interface TakenEpochs {
    long newest() throws Exception;
  }

  private final Path file;
  private final Disk disk;
  private final TakenEpochs taken;
  private long newest;
  private long confirmed; // the highest epoch ZooKeeper has shown taken

  public EpochGuard(Path file, TakenEpochs taken) {
    this(file, taken, Disk.REAL);
  }

  EpochGuard(Path file, TakenEpochs taken, Disk disk) {
    this.file = file.toAbsolutePath();
    this.disk = disk;
    this.taken = taken;
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
      confirm(epoch);
      persist(epoch);
      newest = epoch;
    }
  }

  /** Throws unless ZooKeeper shows {@code epoch} taken by a master; nothing changes when it throws. */
  private void confirm(long epoch) {
    if (epoch <= confirmed) {
      return;
    }
    long inZooKeeper;
    try {
      inZooKeeper = taken.newest();
    } catch (Exception e) {
      throw new VmOperationException(VmOperationException.Kind.INTERNAL, "command from master epoch " + epoch
          + " refused: cannot confirm it with ZooKeeper (" + e.getMessage() + ")");
    }
    confirmed = Math.max(confirmed, inZooKeeper);
    if (epoch > confirmed) {
      throw new VmOperationException(VmOperationException.Kind.STALE_EPOCH, "command from master epoch " + epoch
          + " refused: no master has taken that epoch (ZooKeeper's epoch is " + inZooKeeper + ")");
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
