package io.roam.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a VM's log as `roamctl vm logs [-f]` does: the tail, then what was appended, across a rotation. */
class VmLogReaderTest {
  @TempDir Path dir;

  @Test
  void followsAppendsAndStartsAgainAtTheBeginningOfARotatedFile() throws Exception {
    Path log = dir.resolve("web.log");
    Files.writeString(log, "line 1\nline 2\nline 3\n");

    VmLogReader.Chunk tail = VmLogReader.read(log, -1, 7, "");
    assertThat(text(tail)).isEqualTo("line 3\n");
    assertThat(tail.nextOffset()).isEqualTo(21);
    assertThat(tail.restarted()).isFalse();

    Files.writeString(log, "line 4\n", java.nio.file.StandardOpenOption.APPEND);
    VmLogReader.Chunk next = VmLogReader.read(log, tail.nextOffset(), 0, tail.fileId());
    assertThat(text(next)).isEqualTo("line 4\n");
    assertThat(next.restarted()).isFalse();
    VmLogReader.Chunk nothing = VmLogReader.read(log, next.nextOffset(), 0, next.fileId());
    assertThat(nothing.data()).isEmpty();
    assertThat(nothing.nextOffset()).isEqualTo(next.nextOffset());

    // Rotation as VmLauncher's log does it: the file is renamed away and a new one begins, here
    // already longer than the old offset, so only the file's identity can tell.
    Files.move(log, dir.resolve("web.log.1"));
    Files.writeString(log, "after rotation, a line longer than what was read before\n");
    VmLogReader.Chunk rotated = VmLogReader.read(log, nothing.nextOffset(), 0, nothing.fileId());
    assertThat(rotated.restarted()).isTrue();
    assertThat(text(rotated)).startsWith("after rotation");
    assertThat(rotated.fileId()).isNotEqualTo(nothing.fileId());
  }

  @Test
  void aTruncatedFileIsReadFromItsBeginningAndReadsAreCapped() throws Exception {
    Path log = dir.resolve("big.log");
    Files.write(log, new byte[3 * VmLogReader.MAX_CHUNK]);
    VmLogReader.Chunk whole = VmLogReader.read(log, 0, Integer.MAX_VALUE, "");
    assertThat(whole.data()).hasSize(VmLogReader.MAX_CHUNK);
    assertThat(whole.size()).isEqualTo(3L * VmLogReader.MAX_CHUNK);

    Files.writeString(log, "short\n"); // truncated in place: same file, smaller than the offset
    VmLogReader.Chunk again = VmLogReader.read(log, whole.nextOffset(), 0, whole.fileId());
    assertThat(again.restarted()).isTrue();
    assertThat(text(again)).isEqualTo("short\n");

    assertThat(VmLogReader.read(dir.resolve("never-started.log"), -1, 0, "").data()).isEmpty();
  }

  private static String text(VmLogReader.Chunk c) {
    return new String(c.data(), StandardCharsets.UTF_8);
  }
}
