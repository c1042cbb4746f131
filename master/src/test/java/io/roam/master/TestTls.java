package io.roam.master;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.roam.common.security.AccessTable;
import io.roam.common.security.PkiDirectory;
import io.roam.common.security.Role;
import io.roam.master.api.AgentClients;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * Mutual TLS for tests that run gRPC servers in this JVM: a CA in a temporary directory, agents'
 * servers with an agent certificate for 127.0.0.1 and the real access rules, and the master's
 * clients with a master certificate, as in production.
 */
public final class TestTls {
  public static final List<String> LOOPBACK = List.of("127.0.0.1", "localhost");
  public final PkiDirectory pki;

  public TestTls(Path dir) throws IOException {
    pki = PkiDirectory.open(dir, "test");
  }

  /** A started agent server on 127.0.0.1 with a free port, serving {@code agent} to masters only. */
  public Server agentServer(String name, BindableService agent) throws IOException {
    return agentServer(name, agent, 0);
  }

  /** The same on a given port (0: a free one), as an agent restarted on its configured port. */
  public Server agentServer(String name, BindableService agent, int port) throws IOException {
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port),
            pki.peer(Role.AGENT, name, LOOPBACK).serverCredentials())
        .addService(AccessTable.authorization().guard(agent)).build().start();
  }

  /** The master's clients of agents, presenting a master certificate. */
  public AgentClients agentClients() throws IOException {
    return new AgentClients(pki.peer(Role.MASTER, "master1", LOOPBACK).channelCredentials());
  }
}
