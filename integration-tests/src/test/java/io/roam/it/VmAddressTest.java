package io.roam.it;

import static io.roam.it.LocalCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * VM network identity on real network namespaces joined by a bridge (issue 11): three hosts, each
 * agent in its own namespace; host1 and host2 put VM addresses on their bridge interface
 * (agent.vm-interface), host3 has no such setting. A kv client in the test's own namespace, on the
 * bridge, knows only the VM's address and port (no endpoint lookup): it keeps working across a live
 * migration and across an HA restart after its host dies (kill -9 of the agent and its VMs, the
 * host's link down as a machine switched off), with no acknowledged write lost. After each move
 * exactly one live host holds the address (ip -n NS addr), the dead host removes it when its agent
 * starts again, placement never puts the VM on host3 (although host3 is the emptiest), and host3 says
 * at start-up, in one line, that it does not manage VM addresses. Bad addresses are refused in one line
 * with nothing created.
 */
class VmAddressTest {
  @TempDir Path dir;

  @AfterEach
  void reset() {
    LocalCluster.masterAddress = "127.0.0.1";
    LocalCluster.masterOptions = List.of();
  }

  @Test
  void aClientThatKnowsOnlyTheVmsAddressFollowsItAcrossALiveMigrationAndAnHaRestart() throws Exception {
    Assumptions.assumeTrue(NetworkNamespaces.available(), "needs root and iproute2 for network namespaces");
    Assumptions.assumeTrue(onPath("arping"), "needs arping (Debian: iputils-arping)");
    int id = (int) (ProcessHandle.current().pid() % 200) + 1;
    String[] ns = {"roam-ip-" + id + "-1", "roam-ip-" + id + "-2", "roam-ip-" + id + "-3"};
    try (NetworkNamespaces net = new NetworkNamespaces(id)) {
      String[] hostAddress = new String[3];
      for (int i = 0; i < 3; i++) {
        hostAddress[i] = net.add(ns[i], 11 + i);
      }
      String vmIp = net.subnet + ".100";
      String vmAddress = vmIp + "/24";
      LocalCluster.masterAddress = net.gateway();
      LocalCluster.masterOptions = List.of("--vm-address-pool", net.subnet + ".96/28");
      try (LocalCluster c = new LocalCluster(dir)) {
        c.zkPort = LocalCluster.freePort();
        c.startMaster("master1", "");
        for (int i = 0; i < 3; i++) {
          List<String> args = i < 2
              ? List.of("--address", hostAddress[i], "--vm-interface", "v" + net.bridge + "i" + (11 + i))
              : List.of("--address", hostAddress[i]);
          c.startAgent("host" + (i + 1), NetworkNamespaces.exec(ns[i]), args);
        }
        c.awaitConnectedHosts(3);

        // host3 said, once, that it does not manage VM addresses; the leader knows who does.
        assertThat(Files.readAllLines(c.agents.get("host3").log).stream()
            .filter(l -> l.contains("VM addresses: not managed on this host")).count()).isEqualTo(1);
        JsonNode hosts = new ObjectMapper().readTree(c.ctl("-o", "json", "host", "ls").out()).path("hosts");
        for (JsonNode h : hosts) {
          assertThat(h.path("vmAddresses").asBoolean()).as(h.path("name").asText())
              .isEqualTo(!h.path("name").asText().equals("host3"));
        }

        // Bad addresses: one line each, nothing created.
        expectError(c, "is outside the cluster's address pool", "vm", "create", "bad", "--program", "kv", "--memory",
            "32MiB", "--ip", net.subnet + ".20/24");
        expectError(c, "host host3 cannot manage VM addresses", "vm", "create", "bad", "--program", "kv", "--memory",
            "32MiB", "--ip", net.subnet + ".101/24", "--host", "host3");
        ok(c.ctl("vm", "create", "web", "--program", "kv", "--arg", "disk=on", "--memory", "32MiB", "--host", "host1",
            "--ip", vmAddress, "--start"));
        expectError(c, "address " + vmIp + " is already used by VM web", "vm", "create", "bad", "--program", "kv",
            "--memory", "32MiB", "--ip", vmAddress);
        assertThat(c.ctl("vm", "ls").out()).doesNotContain("bad");
        // host3's agent itself refuses such a VM, whoever asks (here: a master's certificate, past the
        // leader's own check), and creates nothing.
        io.grpc.ManagedChannel toHost3 = LocalCluster.channel(hostAddress[2] + ":" + c.agents.get("host3").port,
            c.tls(io.roam.common.security.Role.MASTER, "master1"));
        try {
          io.grpc.StatusRuntimeException refused = org.assertj.core.api.Assertions.catchThrowableOfType(
              () -> io.roam.proto.AgentServiceGrpc.newBlockingStub(toHost3).withDeadlineAfter(30, TimeUnit.SECONDS)
                  .createVm(io.roam.proto.AgentCreateVmRequest.newBuilder().setMasterEpoch(1).setOwnerEpoch(1)
                      .setSpec(io.roam.proto.VmSpec.newBuilder().setName("direct").setProgram("kv")
                          .setMemoryBytes(32L << 20).setAddress(net.subnet + ".102/24")).build()),
              io.grpc.StatusRuntimeException.class);
          assertThat(refused.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.FAILED_PRECONDITION);
          assertThat(refused.getStatus().getDescription()).isEqualTo("host host3 cannot run VM direct, which has the"
              + " address " + net.subnet + ".102/24 of its own: agent.vm-interface is not set");
          assertThat(io.roam.proto.AgentServiceGrpc.newBlockingStub(toHost3).withDeadlineAfter(30, TimeUnit.SECONDS)
              .listVms(io.roam.proto.AgentListVmsRequest.getDefaultInstance()).getVmsList()).isEmpty();
        } finally {
          toHost3.shutdownNow();
        }
        assertThat(c.vm("web").path("endpoint").asText()).isEqualTo(vmIp + ":7070");
        assertThat(holders(ns, vmIp)).containsExactly(ns[0]);

        // The client knows only the address: no lookup, ever.
        KvWriter writer = new KvWriter(() -> vmIp + ":7070", Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(20)).until(() -> writer.acked() > 20 || writer.failure() != null);

        // Live migration to host2.
        ok(c.ctl("vm", "migrate", "web", "--to", "host2", "--wait"));
        assertThat(c.vm("web").path("host").asText()).isEqualTo("host2");
        await().atMost(Duration.ofSeconds(10)).until(() -> holders(ns, vmIp).equals(List.of(ns[1])));
        long afterMigration = writer.acked();
        await().atMost(Duration.ofSeconds(30)).until(() -> writer.acked() > afterMigration + 20 || writer.failure() != null);
        assertThat(writer.failure()).isNull();

        // host2 dies: agent and VMs killed, its link down as a machine switched off. HA restarts the
        // VM on host1, never on host3 (the emptiest, but it cannot hold the address).
        LocalCluster.kill(c.agents.get("host2"));
        net.link(ns[1], 12, false);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
          JsonNode v = c.vm("web");
          return v.path("host").asText().equals("host1") && v.path("state").asText().equals("running");
        });
        long afterRestart = writer.acked();
        await().atMost(Duration.ofSeconds(60)).until(() -> writer.acked() > afterRestart + 20 || writer.failure() != null);
        assertThat(writer.failure()).isNull();
        assertThat(holders(ns, vmIp)).as("the dead host's interface keeps it until its agent is back")
            .containsExactly(ns[0], ns[1]);

        // host2 comes back: its agent removes what its dead VM left before it takes any VM.
        net.link(ns[1], 12, true);
        c.startAgent("host2", NetworkNamespaces.exec(ns[1]),
            List.of("--address", hostAddress[1], "--vm-interface", "v" + net.bridge + "i12"));
        await().atMost(Duration.ofSeconds(30)).until(() -> holders(ns, vmIp).equals(List.of(ns[0])));
        long afterReturn = writer.acked();
        await().atMost(Duration.ofSeconds(30)).until(() -> writer.acked() > afterReturn + 20 || writer.failure() != null);

        writer.stopAndVerify();
        assertThat(c.vm("web").path("host").asText()).isEqualTo("host1");
        assertThat(WitnessLog.assertNoOverlap(c.datastore())).isGreaterThanOrEqualTo(3);
      }
    }
  }

  /** The namespaces whose interfaces hold the address. */
  private static List<String> holders(String[] namespaces, String ip) throws IOException, InterruptedException {
    List<String> out = new java.util.ArrayList<>();
    for (String ns : namespaces) {
      Process p = new ProcessBuilder("ip", "-n", ns, "-o", "-4", "addr", "show").redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(10, TimeUnit.SECONDS);
      if (text.contains(" " + ip + "/")) {
        out.add(ns);
      }
    }
    return out;
  }

  private static boolean onPath(String command) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, command))) {
        return true;
      }
    }
    return false;
  }

  private static void expectError(LocalCluster c, String message, String... args) {
    LocalCluster.Result r = c.ctl(args);
    assertThat(r.exit()).as("roamctl %s: %s", String.join(" ", args), r.err()).isNotZero();
    assertThat(r.err()).contains(message);
    assertThat(r.err().strip().lines().count()).isEqualTo(1);
  }
}
