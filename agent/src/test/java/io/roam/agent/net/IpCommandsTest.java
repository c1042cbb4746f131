package io.roam.agent.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.net.VmAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real ip/arping implementation on a scratch veth pair of this machine (needs root, iproute2
 * and arping; skipped elsewhere): add and remove are idempotent, and announcing does not keep the
 * caller for arping's one-second stay.
 */
class IpCommandsTest {
  private final String a = "rvt" + ProcessHandle.current().pid() % 100000 + "a";
  private final String b = "rvt" + ProcessHandle.current().pid() % 100000 + "b";
  private static final VmAddress ADDRESS = VmAddress.parse("10.254.77.5/24");

  @BeforeEach
  void setUp() throws Exception {
    Assumptions.assumeTrue(run("ip", "link", "add", a, "type", "veth", "peer", "name", b) == 0, "needs root and iproute2");
    run("ip", "link", "set", a, "up");
    run("ip", "link", "set", b, "up");
  }

  @AfterEach
  void tearDown() throws Exception {
    run("ip", "link", "del", a);
  }

  @Test
  void addAndRemoveAreIdempotentAndAnnouncingReturnsAtOnce() throws Exception {
    IpCommands ip = new IpCommands(a);
    ip.add(ADDRESS);
    ip.add(ADDRESS); // already there: fine
    assertThat(addresses()).contains("10.254.77.5/24");
    if (run("sh", "-c", "command -v arping") == 0) {
      long t0 = System.nanoTime();
      ip.announce(ADDRESS);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("ms to start arping").isLessThan(900);
    }
    ip.remove(ADDRESS);
    ip.remove(ADDRESS); // not there: fine
    assertThat(addresses()).doesNotContain("10.254.77.5/24");
  }

  private String addresses() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("ip", "-o", "-4", "addr", "show", "dev", a).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  private static int run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }
}
