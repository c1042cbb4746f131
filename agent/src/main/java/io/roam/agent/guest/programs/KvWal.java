package io.roam.agent.guest.programs;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;

/**
 * The kv program's write-ahead log, on the shared datastore: one request per line, forced to disk
 * before any of them is applied or acknowledged. A VM that boots fresh (after its host failed)
 * replays it and is back to every acknowledged write; a VM that moved by live migration keeps
 * appending to the same file, since only one copy of a VM ever runs.
 */
final class KvWal implements AutoCloseable {
  private final FileChannel channel;

  private KvWal(FileChannel channel) {
    this.channel = channel;
  }

  static KvWal open(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    return new KvWal(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
  }

  /** Reads every complete line of an existing log (a torn last line, never acknowledged, is skipped). */
  static void replay(Path file, Consumer<String> apply) throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    String all = Files.readString(file, StandardCharsets.UTF_8);
    int end = all.lastIndexOf('\n');
    if (end < 0) {
      return;
    }
    try (BufferedReader r = new BufferedReader(new java.io.StringReader(all.substring(0, end + 1)))) {
      String line;
      while ((line = r.readLine()) != null) {
        apply.accept(line);
      }
    }
  }

  /** Appends the lines and forces them to disk (one force for the whole group). */
  void append(List<String> lines) throws IOException {
    if (lines.isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    for (String l : lines) {
      sb.append(l).append('\n');
    }
    ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      channel.write(b);
    }
    channel.force(false);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
