package io.roam.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent that restarts kills the VM processes its earlier run left, and nothing else: a pid in
 * its pid file may since belong to another agent's VM on the same machine (a recycled pid).
 */
class OrphanReaperTest {
  @TempDir Path dir;

  @Test
  void aRestartedAgentKillsItsOwnOrphansButNotAVmOfAnotherAgentWithARecycledPid() throws Exception {
    Path mine = Files.createDirectories(dir.resolve("host1/run"));
    Path theirs = Files.createDirectories(dir.resolve("host3/run"));
    Process ours = null;
    Process other = null;
    try {
      ours = startAs(mine.resolve("kv1.sock"));
      other = startAs(theirs.resolve("kv0.sock"));
      Files.writeString(mine.resolve("kv1.pid"), Long.toString(ours.pid()));
      // host1's stale pid file names a pid that is now host3's VM kv0.
      Files.writeString(mine.resolve("kv0.pid"), Long.toString(other.pid()));

      assertThat(OrphanReaper.reap(mine)).isEqualTo(1);

      assertThat(ours.waitFor(10, TimeUnit.SECONDS)).as("our orphan is killed").isTrue();
      assertThat(other.isAlive()).as("another agent's VM is left alone").isTrue();
      assertThat(Files.list(mine).filter(f -> f.toString().endsWith(".pid")).count()).isZero();
    } finally {
      if (ours != null) {
        ours.destroyForcibly();
      }
      if (other != null) {
        other.destroyForcibly();
      }
    }
  }

  /**
   * A VM started in a pooled process has the pool's command line (its pool socket, not the VM's
   * control socket): it is an orphan of ours all the same, and so is a pooled process still waiting.
   */
  @Test
  void aRestartedAgentKillsItsPooledProcessesWaitingOrAssigned() throws Exception {
    Path run = Files.createDirectories(dir.resolve("host1/run"));
    Path poolDir = Files.createDirectories(run.resolve(OrphanReaper.POOL_DIR));
    Process assigned = null;
    Process waiting = null;
    try {
      assigned = startPooled(poolDir.resolve("0.sock"));
      waiting = startPooled(poolDir.resolve("1.sock"));
      Files.writeString(run.resolve("kv1.pid"), Long.toString(assigned.pid()));
      Files.writeString(poolDir.resolve("1.pid"), Long.toString(waiting.pid()));

      assertThat(OrphanReaper.reap(run)).isEqualTo(2);

      assertThat(assigned.waitFor(10, TimeUnit.SECONDS)).as("the VM in a pooled process is killed").isTrue();
      assertThat(waiting.waitFor(10, TimeUnit.SECONDS)).as("the waiting pooled process is killed").isTrue();
      assertThat(Files.list(poolDir).count()).isZero();
    } finally {
      for (Process p : new Process[] {assigned, waiting}) {
        if (p != null) {
          p.destroyForcibly();
        }
      }
    }
  }

  private static Process startPooled(Path poolSocket) throws Exception {
    Process p = new ProcessBuilder(List.of("bash", "-c", "sleep 60; : io.roam.agent.guest.GuestMain", "vm", "--pool",
        "--control", poolSocket.toString())).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!Files.exists(Path.of("/proc", Long.toString(p.pid()), "cmdline")) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    return p;
  }

  /** `bash -c 'exec sleep'` keeps its arguments in /proc/PID/cmdline: a VM's command line, sleeping. */
  private static Process startAs(Path controlSocket) throws Exception {
    Process p = new ProcessBuilder(List.of("bash", "-c", "sleep 60; : io.roam.agent.guest.GuestMain", "vm",
        "--control", controlSocket.toString())).start();
    // bash keeps its own argv (-c SCRIPT vm --control SOCKET) in /proc/PID/cmdline while it waits.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!Files.exists(Path.of("/proc", Long.toString(p.pid()), "cmdline")) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    return p;
  }
}
