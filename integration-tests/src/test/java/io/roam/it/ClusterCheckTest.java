package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.roam.common.security.Role;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code roamctl cluster check} on a real cluster of processes: it passes on a healthy one, and a
 * host whose datastore is another directory (not the shared one) makes it fail, naming the host and
 * what to mount; the check leaves no file behind.
 */
class ClusterCheckTest {
  @TempDir Path dir;

  @Test
  void passesOnAHealthyClusterAndFailsNamingAHostWithAnotherDatastore() throws Exception {
    try (LocalCluster c = LocalCluster.start(dir, 2)) {
      c.definePowerDriver("host1");
      LocalCluster.ok(c.ctl("host", "power-driver", "host1", "--name", "host1"));

      // Heartbeat freshness is timing: on a loaded machine one check may see a late heartbeat (as the
      // leader itself would), so the healthy cluster must pass within a deadline, not at once.
      LocalCluster.Result[] last = new LocalCluster.Result[1];
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        last[0] = c.ctl("cluster", "check");
        return last[0].exit() == 0;
      });
      LocalCluster.Result healthy = last[0];

      List<String> lines = healthy.out().lines().toList();
      assertThat(lines.get(0)).startsWith("CHECK").contains("HOST").contains("RESULT").contains("DETAIL");
      assertThat(lines).as(healthy.out()).anyMatch(l -> l.matches("host connected +host1 +PASS +connected, last heartbeat .*"));
      assertThat(lines).anyMatch(l -> l.matches("datastore shared +host2 +PASS +reads and is read by host1 in .*"));
      assertThat(lines).anyMatch(l -> l.matches("clock +host1 +PASS .*ms (ahead of|behind) the leader master's.*"));
      assertThat(lines).anyMatch(l -> l.matches("power driver +host1 +PASS +process .* says on"));
      assertThat(lines).anyMatch(l -> l.matches("power driver +host2 +SKIP +none: .*"));
      assertThat(lines.get(lines.size() - 1)).isEqualTo("PASS: 7 of 8 checks passed, 1 skipped");
      assertThat(dir.resolve("datastore/.roam/check")).isEmptyDirectory();

      // A viewer may not run it: it makes hosts write to the datastore and the leader ask the BMCs.
      LocalCluster.Result viewer = c.ctlAs(c.user(Role.VIEWER, "vera"), c.masterAddresses(), "cluster", "check");
      assertThat(viewer.exit()).isEqualTo(1);
      assertThat(viewer.err().strip()).contains("CheckCluster needs role operator or above").doesNotContain("\n");

      // host3's datastore is a local directory of its own, not the shared one, holding a stale copy
      // of the others' heartbeat files (as a directory copied once, or the local shadow of a mount
      // that failed, would): it passes the agent's start-up check, which looks only for those files,
      // but not the cluster check, whose probe files never reach the other hosts.
      Path local = dir.resolve("host3-local-datastore");
      for (String other : List.of("host1", "host2")) {
        Path heartbeat = io.roam.common.DatastoreHeartbeats.file(local, other);
        java.nio.file.Files.createDirectories(heartbeat.getParent());
        java.nio.file.Files.copy(io.roam.common.DatastoreHeartbeats.file(c.datastore(), other), heartbeat);
      }
      c.startAgent("host3", List.of(), List.of("--datastore", local.toString()));
      c.awaitConnectedHosts(3);

      LocalCluster.Result split = c.ctl("cluster", "check");

      assertThat(split.exit()).as(split.out() + split.err()).isEqualTo(1);
      List<String> out = split.out().lines().toList();
      assertThat(out).as(split.out()).filteredOn(l -> l.contains(" FAIL ") && l.startsWith("datastore shared"))
          .hasSize(1);
      assertThat(out).anyMatch(l -> l.matches("datastore shared +host3 +FAIL +does not see the files of host1, host2 .*"
          + "it does not share the datastore of host1, host2: mount the same export at " + dir.resolve("datastore")
          + " \\(this host uses " + local + "\\)"));
      assertThat(out).anyMatch(l -> l.matches("datastore shared +host1 +PASS +shares .* with host2 \\(the others fail\\)"));
      assertThat(out.get(out.size() - 1)).as(split.out()).matches("FAIL: \\d+ of 12 checks failed");
      assertThat(dir.resolve("datastore/.roam/check")).isEmptyDirectory();
      assertThat(local.resolve(".roam/check")).isEmptyDirectory();
    }
  }
}
