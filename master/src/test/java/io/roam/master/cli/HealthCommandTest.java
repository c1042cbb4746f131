package io.roam.master.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.roam.common.security.AccessTable;
import io.roam.common.security.PkiDirectory;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * roamctl health against a real mutual-TLS server guarded by the real access table, as a container
 * health check runs it: any certificate of the cluster may ask; the exit code follows the status.
 */
class HealthCommandTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PkiDirectory pki;
  private HealthStatusManager health;
  private Server server;

  @BeforeEach
  void serve() throws Exception {
    pki = PkiDirectory.open(dir.resolve("pki"), "test");
    health = new HealthStatusManager();
    health.setStatus("", ServingStatus.NOT_SERVING);
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
            pki.peer(Role.AGENT, "agent1", List.of("127.0.0.1")).serverCredentials())
        .addService(AccessTable.authorization().guard(health.getHealthService())).build().start();
  }

  @AfterEach
  void stop() {
    server.shutdownNow();
  }

  private int health(TlsFiles as, String target) {
    out.reset();
    err.reset();
    return Roamctl.run(new String[] {"health", "--target", target, "--tls-ca", as.ca().toString(), "--tls-cert",
        as.cert().toString(), "--tls-key", as.key().toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
  }

  @Test
  void exitsZeroOnlyWhenTheProcessServes() throws Exception {
    TlsFiles agent2 = pki.peer(Role.AGENT, "agent2", List.of("127.0.0.1"));
    String target = "127.0.0.1:" + server.getPort();
    assertThat(health(agent2, target)).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("roamctl: " + target + " is not serving (NOT_SERVING)\n");

    health.setStatus("", ServingStatus.SERVING);
    assertThat(health(agent2, target)).isEqualTo(0);
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(target + " SERVING\n");
  }

  @Test
  void anyRoleOfTheClusterMayAsk() throws Exception {
    health.setStatus("", ServingStatus.SERVING);
    String target = "127.0.0.1:" + server.getPort();
    for (Role role : Role.values()) {
      assertThat(health(pki.peer(role, "p-" + role.label(), List.of("127.0.0.1")), target)).as(role.label()).isEqualTo(0);
    }
  }

  @Test
  void aCertificateOfAnotherClusterOrNoServerIsUnhealthyInOneLine() throws Exception {
    health.setStatus("", ServingStatus.SERVING);
    TlsFiles stranger = PkiDirectory.open(dir.resolve("other"), "other").peer(Role.ADMIN, "eve", List.of());
    assertThat(health(stranger, "127.0.0.1:" + server.getPort())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("roamctl: 127.0.0.1:" + server.getPort()
        + " is not healthy: ").doesNotContain("\n\t").hasLineCount(1);

    int closed = server.getPort();
    server.shutdownNow().awaitTermination();
    assertThat(health(pki.peer(Role.AGENT, "agent2", List.of()), "127.0.0.1:" + closed)).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("roamctl: 127.0.0.1:" + closed + " is not healthy: ")
        .hasLineCount(1);
  }
}
