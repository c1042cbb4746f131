package io.roam.agent.fencing;

import io.roam.agent.vm.VmOperationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Refuses commands from stale masters: every mutating call carries the sender's leader epoch, and
 * an epoch older than the newest one seen is refused (DESIGN.md, "only the leader acts"). The
 * newest epoch is kept on disk, so a restarted agent still refuses a master it had outlived.
 */
public final class EpochGuard {
  private final Path file;
  private long newest;

  public EpochGuard(Path file) {
    this.file = file;
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
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot persist master epoch to " + file, e);
    }
  }
}
