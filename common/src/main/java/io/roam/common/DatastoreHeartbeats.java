package io.roam.common;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.OptionalLong;

/**
 * Datastore heartbeats: each agent rewrites {@code <datastore>/.roam/heartbeats/<host>} every
 * second with a growing counter. The leader reads it to tell a dead host (counter stopped) from an
 * isolated one (cut off from ZooKeeper, counter still moving).
 */
public final class DatastoreHeartbeats {
  private DatastoreHeartbeats() {}

  public static Path file(Path datastore, String host) {
    return datastore.resolve(".roam").resolve("heartbeats").resolve(host);
  }

  /** Writes the counter whole (temporary file and rename), so that a reader never sees half of it. */
  public static void write(Path datastore, String host, long counter) throws IOException {
    Path f = file(datastore, host);
    Files.createDirectories(f.getParent());
    Path tmp = f.resolveSibling("." + host + ".tmp");
    Files.writeString(tmp, counter + " " + System.currentTimeMillis() + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The counter, or empty when the file cannot be read (no such datastore here, not written yet). */
  public static OptionalLong read(Path datastore, String host) {
    try {
      String text = Files.readString(file(datastore, host), StandardCharsets.UTF_8).trim();
      return OptionalLong.of(Long.parseLong(text.split(" ")[0]));
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }
}
