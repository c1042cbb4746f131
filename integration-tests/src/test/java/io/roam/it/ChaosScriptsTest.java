package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.roam.common.security.TlsFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/chaos/*.sh, run as an operator runs them. The local target on a cluster of processes laid
 * out as `./roam up` lays it out (pid files in the run directory): a frozen host thaws, a killed
 * host dies with its VMs, the leader is found through roamctl and killed. The compose target against a
 * stand-in `docker` command that records what it is asked, so the docker commands each script
 * issues are checked here (ComposeClusterTest runs them against a real engine). A freeze or a cut
 * interrupted by a signal, as a supervisor or `timeout` ends it, restores the host at once.
 */
class ChaosScriptsTest {
  private static final Path CHAOS = Path.of("").toAbsolutePath().getParent().resolve("deploy/chaos");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  private static Run script(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", CHAOS.resolve(args[0]).toString()));
    cmd.addAll(List.of(args).subList(1, args.length));
    ProcessBuilder b = new ProcessBuilder(cmd);
    b.environment().keySet().removeIf(k -> k.startsWith("ROAM"));
    b.environment().putAll(env);
    Process p = b.start();
    p.getOutputStream().close();
    var err = new java.io.ByteArrayOutputStream();
    Thread drain = new Thread(() -> {
      try {
        p.getErrorStream().transferTo(err);
      } catch (java.io.IOException ignored) {
        // the process ended
      }
    });
    drain.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    drain.join();
    return new Run(p.exitValue(), out, err.toString(StandardCharsets.UTF_8));
  }

  /** The layout of `./roam up`: one master (with the embedded ZooKeeper), agents, pid files in the run directory. */
  @Test
  void localTargetFreezesAndKillsAHostAndKillsTheLeaderSayingWhatItDid() throws Exception {
    try (LocalCluster c = LocalCluster.start(dir.resolve("cluster"), 2)) {
      LocalCluster.Node master = c.masters.get(0);
      Files.writeString(c.dir.resolve("pids/master1.pid"), Long.toString(master.process.pid())); // as ./roam up does
      Map<String, String> env = Map.of("ROAM_RUN_DIR", c.dir.toString());
      long host1 = c.agents.get("host1").process.pid();

      Run freeze = script(env, "freeze-host.sh", "host1", "1");

      assertThat(freeze.exit()).as(freeze.err()).isZero();
      assertThat(freeze.out()).contains("chaos[local]: SIGSTOP agent host1 (pid " + host1 + ") for 1s")
          .contains("chaos[local]: SIGCONT agent host1 (pid " + host1 + ")");
      assertThat(ProcessHandle.of(host1).map(ProcessHandle::isAlive)).contains(true);
      c.awaitConnectedHosts(2); // thawed, it serves again

      Process host2 = c.agents.get("host2").process;
      Run kill = script(env, "kill-host.sh", "host2");

      assertThat(kill.exit()).as(kill.err()).isZero();
      // host2 runs no VM, but its pool of waiting VM JVMs (agent.vm-pool-size) are its VM processes too.
      java.util.regex.Matcher said = java.util.regex.Pattern.compile("chaos\\[local\\]: kill -9 agent host2 \\(pid "
          + host2.pid() + "\\) and its VM processes: ([0-9 ]+|none)").matcher(kill.out());
      assertThat(said.find()).as(kill.out()).isTrue();
      assertThat(host2.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(host2.exitValue()).isEqualTo(137);
      for (String pid : said.group(1).equals("none") ? new String[0] : said.group(1).trim().split(" +")) {
        await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(Long.parseLong(pid))
            .map(h -> !h.isAlive()).orElse(true));
      }

      TlsFiles admin = c.admin();
      String roamctl = String.join(" ", Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
          System.getProperty("java.class.path"), "io.roam.master.cli.Roamctl", "--master", c.masterAddresses(),
          "--tls-ca", admin.ca().toString(), "--tls-cert", admin.cert().toString(), "--tls-key", admin.key().toString());

      Run killLeader = script(Map.of("ROAM_RUN_DIR", c.dir.toString(), "ROAMCTL", roamctl), "kill-leader.sh");

      assertThat(killLeader.exit()).as(killLeader.err()).isZero();
      assertThat(killLeader.out())
          .contains("chaos[local]: warning: with './roam up' the only master also runs the embedded ZooKeeper")
          .contains("chaos[local]: kill -9 leader master at " + master.address() + " (pid " + master.process.pid() + ")");
      assertThat(master.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(master.process.exitValue()).isEqualTo(137);
    }
  }

  @Test
  void badArgumentsAreOneLineAndTouchNothing() throws Exception {
    Path run = dir.resolve("run");
    Files.createDirectories(run.resolve("pids"));
    Files.writeString(run.resolve("pids/host1.pid"), Long.toString(ProcessHandle.current().pid()));
    Map<String, String> env = Map.of("ROAM_RUN_DIR", run.toString());

    Run notANumber = script(env, "freeze-host.sh", "host1", "ten");
    Run noSuchHost = script(env, "kill-host.sh", "host9");
    Run unknownTarget = script(env, "kill-host.sh", "--target", "k8s", "host1");

    assertThat(notANumber.exit()).isEqualTo(1);
    assertThat(notANumber.err().strip()).isEqualTo("chaos: SECONDS must be a whole number of seconds, not 'ten'");
    assertThat(noSuchHost.exit()).isEqualTo(1);
    assertThat(noSuchHost.err().strip()).startsWith("chaos: no pid file " + run.resolve("pids/host9.pid")).doesNotContain("\n");
    assertThat(unknownTarget.exit()).isEqualTo(2);
    assertThat(unknownTarget.err().strip()).isEqualTo("chaos: unknown target k8s: use local, ssh or compose");
    assertThat(notANumber.out() + noSuchHost.out() + unknownTarget.out()).isEmpty(); // nothing was done
  }

  /** A stand-in for docker: answers the queries as an engine with one compose project would, logs the rest. */
  private Path fakeDocker(Path log) throws Exception {
    Path bin = dir.resolve("bin");
    Files.createDirectories(bin);
    Path docker = bin.resolve("docker");
    Files.writeString(docker, String.join("\n",
        "#!/usr/bin/env bash",
        "case \"$*\" in",
        "  'ps --filter label=com.docker.compose.service=agent1 --format '*) echo rack ;;",
        "  'ps -q --filter label=com.docker.compose.project=rack --filter label=com.docker.compose.service=agent1') echo c0ffee ;;",
        "  'inspect -f {{.Name}} c0ffee') echo /rack-agent1-1 ;;",
        "  'inspect -f {{range'*) printf 'rack_default - agent1,c0ffee\\nrack_storage 172.30.0.9 agent1\\n\\n' ;;",
        "  'inspect -f {{with index .NetworkSettings.Networks \"rack_storage\"}}'*) echo 172.30.0.9 ;;",
        "  'inspect -f {{with index'*) echo 172.30.0.2 ;;",
        // The engine names a reconnected interface anew: eth0 before the cut, eth1 after.
        "  'exec c0ffee ip -o -4 addr show to '*) if grep -qs 'network connect' '" + log + "'; then i=eth1; else i=eth0; fi;"
            + " echo \"5: $i    inet $9/16 scope global $i\" ;;",
        "  *) echo \"$*\" >> '" + log + "' ;;",
        "esac",
        ""));
    Files.setPosixFilePermissions(docker, PosixFilePermissions.fromString("rwxr-xr-x"));
    return bin;
  }

  @Test
  void composeTargetKillsPausesAndDisconnectsTheServicesContainerAndRestoresItsNetworks() throws Exception {
    Path log = dir.resolve("docker.log");
    Path bin = fakeDocker(log);
    Map<String, String> env = Map.of("PATH", bin + ":" + System.getenv("PATH"), "ROAM_CHAOS_TARGET", "compose");

    Run kill = script(env, "kill-host.sh", "agent1");
    Run freeze = script(env, "freeze-host.sh", "agent1", "0");
    Run cut = script(env, "cut-host.sh", "agent1", "0");

    for (Run r : List.of(kill, freeze, cut)) {
      assertThat(r.exit()).as(r.err()).isZero();
    }
    assertThat(kill.out()).contains("chaos[compose]: docker kill rack-agent1-1 (service agent1: agent and VMs, SIGKILL)");
    assertThat(freeze.out()).contains("docker pause rack-agent1-1 (service agent1: agent and VMs) for 0s")
        .contains("docker unpause rack-agent1-1");
    assertThat(cut.out()).contains("docker network disconnect rack_default rack-agent1-1 (service agent1) for 0s")
        .contains("docker network connect rack_storage rack-agent1-1 (address 172.30.0.9), aliases agent1")
        .contains("rack-agent1-1: interface eth1 renamed eth0, as before the cut");
    assertThat(Files.readAllLines(log)).containsExactly(
        "kill c0ffee",
        "pause c0ffee",
        "unpause c0ffee",
        "network disconnect rack_default c0ffee",
        "network disconnect rack_storage c0ffee",
        "network connect --alias agent1 --alias c0ffee rack_default c0ffee",
        "exec -u root c0ffee ip link set dev eth1 name eth0",
        "network connect --ip 172.30.0.9 --alias agent1 rack_storage c0ffee",
        "exec -u root c0ffee ip link set dev eth1 name eth0");
  }
  /**
   * The cgroup freezer gives up on a busy machine ("unable to freeze"): the freeze tries again and
   * says so, and after five failures stops with one line saying why, having frozen nothing.
   */
  @Test
  void aComposeFreezeTriesThePauseAgainAndGivesUpAfterFive() throws Exception {
    Path log = dir.resolve("docker.log");
    Path bin = fakeDocker(log);
    Path real = bin.resolve("docker-engine");
    Files.move(bin.resolve("docker"), real);
    Path failures = dir.resolve("pause-failures");
    Files.writeString(bin.resolve("docker"), String.join("\n",
        "#!/usr/bin/env bash",
        "if [ \"$1\" = pause ] && [ \"$(cat '" + failures + "')\" -gt 0 ]; then",
        "  echo $(( $(cat '" + failures + "') - 1 )) > '" + failures + "'",
        "  echo 'Error response from daemon: unable to freeze' >&2; exit 1",
        "fi",
        "exec '" + real + "' \"$@\"",
        ""));
    Files.setPosixFilePermissions(bin.resolve("docker"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> env = Map.of("PATH", bin + ":" + System.getenv("PATH"), "ROAM_CHAOS_TARGET", "compose");

    Files.writeString(failures, "2");
    Run twice = script(env, "freeze-host.sh", "agent1", "0");
    Files.writeString(failures, "5");
    Run always = script(env, "freeze-host.sh", "agent1", "0");

    assertThat(twice.exit()).as(twice.err()).isZero();
    assertThat(twice.out().lines().filter(l -> l.contains("failed (Error response from daemon: unable to freeze);"
        + " trying again"))).hasSize(2);
    assertThat(twice.out()).contains("paused rack-agent1-1").contains("docker unpause rack-agent1-1");
    assertThat(always.exit()).isEqualTo(1);
    assertThat(always.err().strip()).isEqualTo(
        "chaos: docker pause rack-agent1-1 failed 5 times: Error response from daemon: unable to freeze");
    assertThat(always.out()).doesNotContain("paused rack-agent1-1").doesNotContain("unpause");
    assertThat(Files.readAllLines(log)).containsExactly("pause c0ffee", "unpause c0ffee");
  }

  @Test
  void aFreezeOrACutEndedBySigtermRestoresTheHostAtOnce() throws Exception {
    Path log = dir.resolve("docker.log");
    Path bin = fakeDocker(log);
    for (String script : List.of("freeze-host.sh", "cut-host.sh")) {
      Path out = dir.resolve(script + ".out");
      ProcessBuilder b = new ProcessBuilder("bash", CHAOS.resolve(script).toString(), "agent1", "600");
      b.environment().keySet().removeIf(k -> k.startsWith("ROAM"));
      b.environment().putAll(Map.of("PATH", bin + ":" + System.getenv("PATH"), "ROAM_CHAOS_TARGET", "compose"));
      Process p = b.redirectErrorStream(true).redirectOutput(out.toFile()).start();
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
          .until(() -> Files.readString(out).contains("for 600s"));
      List<ProcessHandle> children = p.descendants().toList();

      p.destroy(); // SIGTERM to the script alone, not to its process group (unlike Ctrl-C at a terminal)

      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(script + " ended well before its 600 s").isTrue();
      assertThat(p.exitValue()).isEqualTo(130);
      assertThat(Files.readString(out)).as(script).containsPattern("docker (unpause|network connect) .*");
      assertThat(children).as("nothing of " + script + " left running").noneMatch(ProcessHandle::isAlive);
    }
    assertThat(Files.readAllLines(log)).contains("unpause c0ffee",
        "network connect --ip 172.30.0.9 --alias agent1 rack_storage c0ffee");
  }
}
