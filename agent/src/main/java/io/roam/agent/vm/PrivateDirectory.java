package io.roam.agent.vm;

import io.roam.common.config.ConfigException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/**
 * A directory only the agent's user may enter: guest memory (every VM's state, readable as it
 * runs) and the VMs' control sockets live in one. Created mode 0700; one that exists must be a
 * real directory (not a symbolic link), owned by this user and closed to group and others, or the
 * agent refuses to start: another user may have created it first (the default memory directory is
 * under the world-writable /dev/shm) and could then read or replace what the agent puts there.
 * Stateless; thread-safe.
 */
public final class PrivateDirectory {
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

  private PrivateDirectory() {}

  /**
   * Creates {@code dir} (0700; missing parents as usual) or checks the one there.
   *
   * @param what what the directory is for, for the message ("memory directory")
   * @throws ConfigException one line saying what is wrong and what to do
   */
  public static Path ensure(Path dir, String what) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(abs.getParent());
      try {
        Files.createDirectory(abs, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      } catch (FileAlreadyExistsException raced) {
        // someone created it meanwhile: it is checked below like any other
      }
    }
    tightenIfOnlyReadable(abs, currentUser());
    String problem = problem(abs, currentUser());
    if (problem != null) {
      throw new ConfigException(what + " " + abs + " " + problem);
    }
    return abs;
  }

  /**
   * A directory of ours that others may read but not write (what earlier versions of Roam made:
   * 0755) is closed to 0700 with a warning rather than refused: nobody else can have put anything
   * in it, so an upgrade need not stop the agent. One that others may write is still refused.
   */
  static void tightenIfOnlyReadable(Path dir, UserPrincipal user) throws IOException {
    if (Files.isSymbolicLink(dir) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
        || !Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).equals(user)) {
      return;
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
    if (OWNER_ONLY.containsAll(perms) || perms.contains(PosixFilePermission.GROUP_WRITE)
        || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
      return;
    }
    Files.setPosixFilePermissions(dir, OWNER_ONLY);
    org.slf4j.LoggerFactory.getLogger(PrivateDirectory.class).warn("{} was readable by other users ({}); closed it"
        + " to rwx------", dir, PosixFilePermissions.toString(perms));
  }

  /** Null when {@code dir} is private to {@code user}, else what is wrong (the end of a sentence). */
  static String problem(Path dir, UserPrincipal user) throws IOException {
    if (Files.isSymbolicLink(dir)) {
      return "is a symbolic link; give the real directory";
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return "is not a directory";
    }
    UserPrincipal owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS);
    if (!owner.equals(user)) {
      return "is owned by " + owner.getName() + ", not by " + user.getName()
          + " (the agent's user); remove it or choose another directory";
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
    if (!OWNER_ONLY.containsAll(perms)) {
      return "is open to other users (" + PosixFilePermissions.toString(perms) + "); chmod 700 it (what it held may"
          + " have been read)";
    }
    return null;
  }

  static UserPrincipal currentUser() throws IOException {
    return java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService()
        .lookupPrincipalByName(System.getProperty("user.name"));
  }
}
