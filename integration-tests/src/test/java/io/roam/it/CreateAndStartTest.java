package io.roam.it;

import static io.roam.it.LocalCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code roamctl vm create --start} does both or neither. */
class CreateAndStartTest {
  @TempDir Path dir;

  @Test
  void aStartRefusedByAdmissionControlCreatesNothing() throws Exception {
    // Two 1 GiB hosts, ha.host-failures 1 (the default): the running VMs must fit on one host.
    try (LocalCluster c = LocalCluster.start(dir, 2)) {
      ok(c.ctl("vm", "create", "first", "--program", "idle", "--memory", "600MiB", "--host", "host1", "--start"));

      LocalCluster.Result refused = c.ctl("vm", "create", "second", "--program", "idle", "--memory", "600MiB",
          "--host", "host2", "--start");
      assertThat(refused.exit()).isEqualTo(1);
      assertThat(c.ctl("vm", "ls").out()).contains("first").doesNotContain("second");
      assertThat(refused.err().strip()).contains("cannot create and start VM second: admission control")
          .contains("nothing was created").doesNotContain("\n");

      assertThat(c.ctl("vm", "show", "second").err()).contains("no VM named second");
      assertThat(c.ctl("events", "--vm", "second").out()).doesNotContain("vm.created");
      assertThat(Files.exists(c.memoryDir.resolve("host2/second.mem"))).isFalse();

      // Without --start the same VM is created, stopped: the refusal above was of the start alone.
      ok(c.ctl("vm", "create", "second", "--program", "idle", "--memory", "600MiB", "--host", "host2"));
      assertThat(c.ctl("vm", "ls").out()).containsPattern("second +host2 +created");
    }
  }
}
