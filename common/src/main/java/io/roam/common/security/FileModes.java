package io.roam.common.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/** Checks that secrets (private keys, password files) are readable by their owner only. */
public final class FileModes {
  private FileModes() {}

  private static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(PosixFilePermission.GROUP_READ,
      PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  /** Throws, naming the file and its mode, if anyone but its owner may read or write it. */
  public static void requireOwnerOnly(Path file) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    for (PosixFilePermission p : perms) {
      if (GROUP_OR_OTHER.contains(p)) {
        throw new IOException(file + " is readable by others (mode " + java.nio.file.attribute.PosixFilePermissions
            .toString(perms) + "); run chmod 600 " + file);
      }
    }
  }
}
