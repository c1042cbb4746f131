package io.roam.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10: a VM's log is bounded, and so is what a crash report reads of it. */
class VmLogFilesTest {
  @TempDir Path dir;

  @Test
  void aCrashReportIsTheLogsEndOnlyHoweverLongTheLogOrItsLines() throws Exception {
    Path log = dir.resolve("web.log");
    try (OutputStream out = Files.newOutputStream(log)) {
      out.write("x".repeat(10 << 20).getBytes(StandardCharsets.US_ASCII)); // one 10 MiB line
      out.write("\nVM failed: boom\n\tat Foo.bar\n".getBytes(StandardCharsets.US_ASCII));
    }
    String report = VmLauncher.tail(log, 20);
    assertThat(report.length()).isLessThanOrEqualTo(VmLogFiles.TAIL_BYTES);
    assertThat(report).endsWith("VM failed: boom\n\tat Foo.bar");

    Files.writeString(log, "one\ntwo\nthree\n");
    assertThat(VmLauncher.tail(log, 2)).isEqualTo("two\nthree");
    assertThat(VmLauncher.tail(log, 20)).isEqualTo("one\ntwo\nthree");
    assertThat(VmLauncher.tail(dir.resolve("missing.log"), 20)).startsWith("(no log");
  }

  @Test
  void rotationKeepsFilesOfBoundedSizeAndTheProcesssDescriptorGoesOnWritingTheLog() throws Exception {
    Path log = dir.resolve("web.log");
    byte[] line = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n".getBytes(StandardCharsets.US_ASCII);
    // The VM process's output: a descriptor opened in append mode, as ProcessBuilder's appendTo does.
    try (FileOutputStream process = new FileOutputStream(log.toFile(), true)) {
      for (int i = 0; i < 10_000; i++) { // 640 KB
        process.write(line);
        VmLogFiles.rotateIfOver(log, 64 * 1024, 3);
      }
      process.write("the newest line\n".getBytes(StandardCharsets.US_ASCII));
    }
    assertThat(Files.size(log)).isLessThan(64 * 1024 + 100);
    assertThat(Files.readString(log)).endsWith("the newest line\n").doesNotContain("\0");
    assertThat(Files.size(VmLogFiles.rotated(log, 1))).isBetween(64L * 1024, 64L * 1024 + 100);
    assertThat(VmLogFiles.rotated(log, 2)).exists();
    assertThat(VmLogFiles.rotated(log, 3)).doesNotExist();
  }
}
