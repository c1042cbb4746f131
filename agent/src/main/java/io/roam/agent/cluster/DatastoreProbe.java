package io.roam.agent.cluster;

import io.roam.common.Names;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * This host's part of {@code roamctl cluster check}'s datastore test: the leader has every host
 * write a token file on its datastore, then has every host read every other host's file. A host
 * that cannot see the others' files does not share their datastore (another NFS export, a local
 * directory where a mount was meant), and HA could not restart its VMs elsewhere from their disks.
 *
 * <p>Files: {@code <datastore>/.roam/check/<token>/<host>} holding {@code "<host> <token>\n"}, written
 * with {@code force(true)} so that a reader on another machine sees what reached the server. The
 * token and host names are checked before they name a path. Thread-safe; {@link #probeAsync} runs
 * the file work on the probe's own daemon thread, so that no gRPC thread waits on a slow NFS server.
 */
public final class DatastoreProbe implements AutoCloseable {
  private static final Pattern TOKEN = Pattern.compile("[0-9a-f]{16,64}");

  /** What one probe found: {@code writeError} empty when written (or not asked), unseen as "HOST: why". */
  public record Result(String writeError, List<String> seen, List<String> unseen) {}

  private final Path datastore;
  private final String host;

  private final java.util.concurrent.ExecutorService worker = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "datastore-probe");
    t.setDaemon(true);
    return t;
  });

  public DatastoreProbe(Path datastore, String host) {
    this.datastore = datastore.toAbsolutePath();
    this.host = host;
  }

  public String host() {
    return host;
  }

  /** {@link #probe} on the probe's thread (one probe at a time). */
  public java.util.concurrent.CompletableFuture<Result> probeAsync(String token, boolean write, List<String> readHosts,
      boolean remove) {
    return java.util.concurrent.CompletableFuture.supplyAsync(() -> probe(token, write, readHosts, remove), worker);
  }

  @Override
  public void close() {
    worker.shutdownNow();
  }

  public Path datastore() {
    return datastore;
  }

  /**
   * Writes this host's file if asked, reads the named hosts' files, removes this host's file if
   * asked, in that order.
   *
   * @throws IllegalArgumentException a token or host name that may not name a file (nothing done)
   */
  public Result probe(String token, boolean write, List<String> readHosts, boolean remove) {
    if (!TOKEN.matcher(token).matches()) {
      throw new IllegalArgumentException("a datastore probe token is 16 to 64 lowercase hex digits");
    }
    for (String h : readHosts) {
      if (!Names.isValidHostName(h)) {
        throw new IllegalArgumentException("'" + h + "' is not a host name");
      }
    }
    Path dir = datastore.resolve(".roam").resolve("check").resolve(token);
    String writeError = "";
    if (write) {
      try {
        writeForced(dir, content(host, token));
      } catch (IOException | RuntimeException e) {
        writeError = "cannot write " + dir.resolve(host) + ": " + describe(e);
      }
    }
    List<String> seen = new ArrayList<>();
    List<String> unseen = new ArrayList<>();
    for (String other : readHosts) {
      Path f = dir.resolve(other);
      try {
        String text = Files.readString(f, StandardCharsets.UTF_8);
        if (text.equals(content(other, token))) {
          seen.add(other);
        } else {
          unseen.add(other + ": " + f + " holds something else");
        }
      } catch (NoSuchFileException e) {
        unseen.add(other + ": no " + f + " here");
      } catch (IOException | RuntimeException e) {
        unseen.add(other + ": cannot read " + f + ": " + describe(e));
      }
    }
    if (remove) {
      try {
        Files.deleteIfExists(dir.resolve(host));
        Files.deleteIfExists(dir); // the last host to remove its file removes the directory
      } catch (DirectoryNotEmptyException e) {
        // other hosts' files are still there: their own remove takes the directory
      } catch (IOException e) {
        // a leftover token file harms nothing; the check has already answered
      }
    }
    return new Result(writeError, seen, unseen);
  }

  private void writeForced(Path dir, String text) throws IOException {
    Files.createDirectories(dir);
    try (FileChannel ch = FileChannel.open(dir.resolve(host), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
  }

  static String content(String host, String token) {
    return host + " " + token + "\n";
  }

  private static String describe(Exception e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : " " + m.lines().findFirst().orElse(""));
  }
}
