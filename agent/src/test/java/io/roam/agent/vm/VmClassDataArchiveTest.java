package io.roam.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which class paths get a class data sharing archive, which file it is, and when VMs use it. */
class VmClassDataArchiveTest {
  @TempDir Path dir;

  @Test
  void aClassPathWithADirectoryGetsNoArchiveSinceTheJdkRefusesToArchiveFromDirectories() throws Exception {
    Path jar = Files.writeString(dir.resolve("a.jar"), "x");
    assertThat(VmClassDataArchive.forClassPath(dir.resolve("cds"), jar + File.pathSeparator + dir.resolve("classes")))
        .isEmpty();
    assertThat(VmClassDataArchive.forClassPath(dir.resolve("cds"), jar.toString())).isPresent();
  }

  @Test
  void aChangedJarGetsANewArchiveFileSoAStaleArchiveIsNeverMapped() throws Exception {
    Path jar = Files.writeString(dir.resolve("a.jar"), "x");
    Path before = VmClassDataArchive.forClassPath(dir.resolve("cds"), jar.toString()).orElseThrow().file();
    assertThat(VmClassDataArchive.forClassPath(dir.resolve("cds"), jar.toString()).orElseThrow().file()).isEqualTo(before);
    Files.writeString(jar, "rebuilt, longer");
    assertThat(VmClassDataArchive.forClassPath(dir.resolve("cds"), jar.toString()).orElseThrow().file())
        .isNotEqualTo(before);
  }

  @Test
  void vmsUseTheArchiveOnlyOnceItExists() throws Exception {
    Path jar = Files.writeString(dir.resolve("a.jar"), "x");
    VmClassDataArchive cds = VmClassDataArchive.forClassPath(dir.resolve("cds"), jar.toString()).orElseThrow();
    assertThat(cds.launchOptions()).isEmpty();
    Files.createDirectories(cds.file().getParent());
    Files.writeString(cds.file(), "archive");
    assertThat(cds.launchOptions()).containsExactly("-XX:SharedArchiveFile=" + cds.file(), "-Xshare:auto");
  }
}
