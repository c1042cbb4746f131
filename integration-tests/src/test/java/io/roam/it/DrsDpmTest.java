package io.roam.it;

import static io.roam.it.LocalCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DRS, maintenance mode and DPM on real processes: cpu VMs burn real CPU, the agents report it in
 * their heartbeats, the leader plans with it and moves VMs by live migration; DPM powers an agent
 * off and on through the process power driver. Timings are shortened to seconds.
 *
 * <p>Not tied to the machine's speed: a VM's demand is the CPU it used plus the time it waited for
 * a CPU, so a cpu VM shows at least its share however busy the machine is (a busy machine can only
 * add to it, through the wake-up latency of its steps). The loads below are chosen with margins on
 * both sides, and the waits are upper bounds for a slow machine, not expected durations.
 */
class DrsDpmTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /**
   * How long a step (a VM's JVM booting, a migration, a pass of the leader) may take on a slow,
   * loaded machine; a fast one takes a second or two. An upper bound only: nothing waits it out.
   */
  private static final Duration SLOW_MACHINE_BOUND = Duration.ofSeconds(60);
  @TempDir Path dir;

  @AfterEach
  void resetOptions() {
    LocalCluster.masterOptions = List.of();
    LocalCluster.agentOptions = List.of();
  }

  private static final List<String> FAST_DRS = List.of("--drs-interval-ms", "3000", "--drs-demand-window-ms", "8000",
      "--drs-hysteresis-ms", "120000", "--ha-host-failures", "0");

  @Test
  void drsSpreadsCpuVmsCrowdedOnOneHostByLiveMigration() throws Exception {
    LocalCluster.masterOptions = FAST_DRS;
    LocalCluster.agentOptions = List.of("--cores", "1");
    try (LocalCluster c = LocalCluster.start(dir, 3)) {
      for (int i = 1; i <= 4; i++) {
        ok(c.ctl("vm", "create", "burn" + i, "--program", "cpu", "--arg", "share=22", "--memory", "16MiB", "--host",
            "host1", "--start"));
      }
      // Host loads start at 4 shares, 0, 0: DRS moves VMs until they are spread 2-1-1, which no move
      // improves. (Whether the imbalance of 2-1-1 is under threshold 3's 0.10 depends on how much
      // demand the machine lets each VM show, so the test does not ask.)
      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).until(() ->
          hostsOf(c).values().stream().distinct().count() >= 3);
      String events = c.ctl("events").out();
      long moves = events.lines().filter(l -> l.contains("drs.migrate")).count();
      assertThat(moves).as(events).isBetween(2L, 4L); // the minimum is 2; no VM bounces back
      // Every VM runs (a VM whose lease a starved agent renewed late shows PAUSED for a moment).
      for (String vm : hostsOf(c).keySet()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> c.vm(vm).path("state").asText().equals("running"));
      }
      assertThat(WitnessLog.assertNoOverlap(c.datastore())).isGreaterThanOrEqualTo(4 + (int) moves);
    }
  }

  @Test
  void maintenanceEvacuatesByLiveMigrationAndAMustRuleHoldsItUntilRemoved() throws Exception {
    LocalCluster.masterOptions = FAST_DRS;
    try (LocalCluster c = LocalCluster.start(dir, 3)) {
      ok(c.ctl("vm", "create", "web", "--program", "kv", "--memory", "128MiB", "--host", "host1", "--start"));
      ok(c.ctl("vm", "create", "pinned", "--program", "idle", "--memory", "16MiB", "--host", "host1", "--start"));
      ok(c.ctl("rule", "add", "licence", "--type", "vm-host", "--vms", "pinned", "--hosts", "host1"));
      KvWriter writer = new KvWriter(() -> c.vm("web").path("endpoint").asText(), Duration.ofSeconds(60));
      await().atMost(SLOW_MACHINE_BOUND).until(() -> writer.acked() > 20);

      ok(c.ctl("host", "maintenance", "enter", "host1"));
      await().atMost(SLOW_MACHINE_BOUND).until(() -> !c.vm("web").path("host").asText().equals("host1"));
      // pinned may not leave host1: the host stays entering maintenance and says why.
      await().atMost(SLOW_MACHINE_BOUND).until(() -> host(c, "host1").path("note").asText().contains("licence"));
      assertThat(host(c, "host1").path("state").asText()).isEqualTo("entering-maintenance");
      assertThat(c.ctl("drs", "status").out()).contains("pinned").contains("licence");
      // New VMs do not go to a host entering maintenance.
      LocalCluster.Result refused = c.ctl("vm", "create", "late", "--program", "idle", "--memory", "16MiB", "--host",
          "host1");
      assertThat(refused.exit()).isEqualTo(1);
      assertThat(refused.err()).contains("maintenance");

      // Settings change at run time, checked first.
      LocalCluster.Result bad = c.ctl("drs", "set", "--dpm-target", "95");
      assertThat(bad.exit()).isEqualTo(1);
      assertThat(bad.err()).contains("band");
      ok(c.ctl("drs", "set", "--threshold", "5", "--automation", "partial"));
      assertThat(drs(c).path("threshold").asInt()).isEqualTo(5);
      assertThat(drs(c).path("automation").asText()).isEqualTo("partial");
      ok(c.ctl("drs", "set", "--reset"));
      assertThat(drs(c).path("threshold").asInt()).isEqualTo(3);

      ok(c.ctl("rule", "rm", "licence"));
      await().atMost(SLOW_MACHINE_BOUND).until(() -> host(c, "host1").path("state").asText().equals("maintenance"));
      assertThat(c.vm("pinned").path("host").asText()).isNotEqualTo("host1");
      ok(c.ctl("host", "maintenance", "exit", "host1"));
      await().atMost(SLOW_MACHINE_BOUND).until(() -> host(c, "host1").path("state").asText().equals("connected"));
      writer.stopAndVerify();
      WitnessLog.assertNoOverlap(c.datastore());
    }
  }

  @Test
  void dpmPowersAnIdleHostOffThroughItsDriverAndBackOnWhenLoadRises() throws Exception {
    LocalCluster.masterOptions = List.of("--drs-interval-ms", "2000", "--drs-demand-window-ms", "6000",
        "--drs-hysteresis-ms", "120000", "--ha-host-failures", "0", "--dpm-level", "automatic",
        "--dpm-target-percent", "50", "--dpm-tolerance-percent", "10", "--dpm-power-on-window-ms", "4000",
        "--dpm-power-off-window-ms", "8000", "--dpm-wake-timeout-ms", "60000");
    LocalCluster.agentOptions = List.of("--cores", "1");
    try (LocalCluster c = LocalCluster.start(dir, 3)) {
      // Only host3 can be powered: DPM may park only it. The band is 40 % to 60 % of the powered cores;
      // parking host3 needs demand under 1.0 core (50 % of 2), far above the quiet VM's 3 % even on a
      // machine so busy that wake-up latency adds tenths of a core to it.
      c.definePowerDriver("host3");
      ok(c.ctl("host", "power-driver", "host3", "--name", "host3"));
      ok(c.ctl("vm", "create", "quiet", "--program", "cpu", "--arg", "share=3", "--memory", "16MiB", "--host", "host1",
          "--start"));
      ProcessHandle host3 = c.agents.get("host3").process.toHandle();
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
          .until(() -> host(c, "host3").path("state").asText().equals("standby"));
      assertThat(host3.isAlive()).isFalse(); // powered off through the process driver

      // Load rises: the VMs ask for 4 × 50 % of a core, 100 % of the 2 powered cores, far above the
      // band's top (60 %). They show that demand whether or not the machine can give it: what they do
      // not get they wait for.
      for (int i = 1; i <= 4; i++) {
        ok(c.ctl("vm", "create", "busy" + i, "--program", "cpu", "--arg", "share=50", "--memory", "16MiB", "--host",
            i % 2 == 1 ? "host1" : "host2", "--start"));
      }
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
          .until(() -> host(c, "host3").path("state").asText().equals("connected"));
      // DRS moves load onto the woken host.
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
          .until(() -> hostsOf(c).containsValue("host3"));
      String events = c.ctl("events", "--host", "host3").out();
      assertThat(events).contains("host.entering-standby").contains("host.standby").contains("host.waking")
          .contains("host.woken");
      WitnessLog.assertNoOverlap(c.datastore());
    }
  }

  private static Map<String, String> hostsOf(LocalCluster c) throws Exception {
    Map<String, String> out = new HashMap<>();
    for (JsonNode v : JSON.readTree(c.ctl("-o", "json", "vm", "ls").out()).path("vms")) {
      out.put(v.path("spec").path("name").asText(), v.path("host").asText());
    }
    return out;
  }

  private static JsonNode drs(LocalCluster c) throws Exception {
    return JSON.readTree(c.ctl("-o", "json", "drs", "status").out());
  }

  private static JsonNode host(LocalCluster c, String name) throws Exception {
    for (JsonNode h : JSON.readTree(c.ctl("-o", "json", "host", "ls").out()).path("hosts")) {
      if (h.path("name").asText().equals(name)) {
        return h;
      }
    }
    throw new AssertionError("no host " + name);
  }

}
