package io.roam.agent.memory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** For tests of sparse memory files: what the file system really allocated for a file. */
public final class AllocatedBytes {
  private AllocatedBytes() {}

  /** The bytes allocated for {@code file} (holes cost nothing): st_blocks times the block unit, by stat(1). */
  public static long of(Path file) throws Exception {
    Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("stat " + file + ": " + out);
    }
    String[] blocksAndUnit = out.split(" ");
    return Long.parseLong(blocksAndUnit[0]) * Long.parseLong(blocksAndUnit[1]);
  }
}
