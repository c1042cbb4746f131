package io.roam.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.roam.common.config.Config;
import io.roam.common.config.ConfigException;
import io.roam.common.config.RoamKeys;
import io.roam.common.security.PkiDirectory;
import io.roam.common.security.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The master refuses to start when its timing breaks the lease chain (issue 9, window 8; DESIGN.md
 * "Time"): one line on stderr, exit code 2, nothing started.
 */
class MasterStartupCheckTest {
  @TempDir Path dir;

  @Test
  void aFailoverDelayShorterThanHalfTheLeaseRefusesToStartWithOneLineAndExitCode2() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), MasterMain.class.getName(), "--ha-failover-delay-ms", "1000",
        "--lease-ms", "3000", "--port", "0", "--zk-port", "0", "--zk-dir", dir.resolve("zk").toString())
        .directory(dir.toFile()).start();
    p.getOutputStream().close();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(err.lines().toList()).singleElement().asString()
        .startsWith("roam-master: ha.failover-delay-ms (1000) must be at least half the VM lease agent.lease-ms (3000)");
    assertThat(dir.resolve("zk")).as("nothing was started").doesNotExist();
  }

  @Test
  void aSessionTheServerClampsBelowTheLeaseIsRefused() throws Exception {
    // The embedded server grants at most 60 s, whatever is asked.
    java.util.List<String> args = io.roam.master.zk.TestPki.options(io.roam.master.zk.TestPki.get().master());
    args.addAll(java.util.List.of("--zk-session-timeout-ms", "120000",
        "--lease-ms", "90000", "--ha-failover-delay-ms", "90000", "--port", "0", "--zk-port", "0",
        "--zk-dir", dir.resolve("zk").toString()));
    Config config = Config.load(RoamKeys.MASTER, args.toArray(String[]::new), Map.of(), null);
    assertThatThrownBy(() -> new Master(config).close()).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("the ZooKeeper session timeout the server granted (60000 ms) is shorter than the VM"
            + " lease agent.lease-ms (90000 ms)");
  }

  @Test
  void aMasterWithoutTlsSettingsRefusesToStartWithOneLineAndExitCode2() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), MasterMain.class.getName(), "--port", "0", "--zk-port", "0",
        "--zk-dir", dir.resolve("zk").toString()).directory(dir.toFile()).start();
    p.getOutputStream().close();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(err.lines().toList()).singleElement().asString()
        .startsWith("roam-master: tls.ca, tls.cert and tls.key must name");
    assertThat(dir.resolve("zk")).as("nothing was started").doesNotExist();
  }
}
