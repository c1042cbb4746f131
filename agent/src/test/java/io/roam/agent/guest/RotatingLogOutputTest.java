package io.roam.agent.guest;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.agent.vm.VmLogFiles;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10: a VM printing without end fills a bounded number of log files of bounded size. */
class RotatingLogOutputTest {
  @TempDir Path dir;

  @Test
  void aChattyProgramFillsAtMostTheKeptFiles() throws Exception {
    Path log = dir.resolve("web.log");
    try (PrintStream out = new PrintStream(new RotatingLogOutput(new FileOutputStream(log.toFile(), true), log, 64 * 1024, 3), true)) {
      for (int i = 0; i < 50_000; i++) { // ~2 MB
        out.println("step " + i + " says something rather long to fill the log quickly");
      }
      out.println("last words");
    }
    assertThat(Files.size(log)).isLessThan(64 * 1024);
    assertThat(Files.readString(log)).endsWith("last words\n");
    assertThat(Files.size(VmLogFiles.rotated(log, 1))).isLessThan(64 * 1024 + 200);
    assertThat(VmLogFiles.rotated(log, 2)).exists();
    assertThat(VmLogFiles.rotated(log, 3)).doesNotExist();
  }
}
