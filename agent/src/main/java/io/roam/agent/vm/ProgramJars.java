package io.roam.agent.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where user programs ({@code --jar}) may come from: only directories the agent's configuration
 * lists ({@code agent.jar-dirs}). A jar runs as the agent's user with the VM's memory, so a request
 * must not be able to name any file the agent can read (another user's upload in /tmp, say). The
 * jar's real path (symbolic links resolved) must lie inside one of the directories' real paths.
 * Immutable; thread-safe.
 */
public final class ProgramJars {
  private final List<Path> dirs;

  public ProgramJars(List<Path> dirs) {
    this.dirs = List.copyOf(dirs);
  }

  /** No jar is allowed. */
  public static ProgramJars none() {
    return new ProgramJars(List.of());
  }

  /** The directories of a comma-separated setting, blank entries skipped. */
  public static ProgramJars parse(String setting) {
    List<Path> out = new ArrayList<>();
    for (String part : setting.split(",")) {
      if (!part.isBlank()) {
        out.add(Path.of(part.trim()));
      }
    }
    return new ProgramJars(out);
  }

  /** Null when {@code jar} may run here, else one line saying why not. */
  public String problem(String jar, String hostName) {
    Path real;
    try {
      real = Path.of(jar).toAbsolutePath().toRealPath();
    } catch (IOException | java.nio.file.InvalidPathException e) {
      return "program jar " + jar + " is not readable on host " + hostName;
    }
    if (!Files.isRegularFile(real) || !Files.isReadable(real)) {
      return "program jar " + jar + " is not readable on host " + hostName;
    }
    for (Path d : dirs) {
      try {
        if (real.startsWith(d.toAbsolutePath().toRealPath())) {
          return null;
        }
      } catch (IOException e) {
        // a listed directory that does not exist holds no jar
      }
    }
    return "program jar " + jar + " is not in a directory host " + hostName + " allows jars from (agent.jar-dirs: "
        + (dirs.isEmpty() ? "none" : String.join(", ", dirs.stream().map(Path::toString).toList())) + ")";
  }
}
