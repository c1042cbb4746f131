package io.roam.agent.rpc;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.roam.agent.fencing.EpochGuard;
import io.roam.agent.migration.HostDirectory;
import io.roam.agent.migration.InMemoryOwnership;
import io.roam.agent.migration.MigrationService;
import io.roam.agent.vm.RecordingEndpoints;
import io.roam.agent.vm.VmLauncher;
import io.roam.agent.vm.VmManager;
import io.roam.common.model.VmSpec;
import io.roam.proto.AgentServiceGrpc;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Two agents in this JVM, "src" and "dst", each with its VM manager (VMs are real child
 * processes), migration service and AgentService on a real gRPC port; ownership in memory, and a
 * host directory that holds what the agents registered. For tests of what a hostile caller of
 * AgentService can do.
 */
final class TwoAgents implements AutoCloseable {
  static final long MIB = 1 << 20;

  final InMemoryOwnership ownership = new InMemoryOwnership();
  final Map<String, HostDirectory.Peer> registered = new ConcurrentHashMap<>();
  final HostDirectory directory = host -> Optional.ofNullable(registered.get(host));
  final Path dir;
  final io.roam.agent.migration.TestPki pki;
  final Agent src;
  final Agent dst;

  /** One agent's parts. */
  final class Agent implements AutoCloseable {
    final String name;
    final VmManager vms;
    final MigrationService migrations;
    final AgentGrpcService service;
    final Server server;
    final ManagedChannel channel;

    Agent(String name) throws Exception {
      this.name = name;
      vms = new VmManager(new VmManager.Settings(name, dir.resolve(name + "/mem"), dir.resolve(name + "/run"),
          dir.resolve(name + "/logs"), 512 * MIB, 60_000), new VmLauncher(32 * MIB, "127.0.0.1", dir.resolve("datastore")),
          new RecordingEndpoints(), ownership);
      io.roam.common.security.TlsFiles tls = pki.files(io.roam.common.security.Role.AGENT, name);
      migrations = new MigrationService(vms, ownership, name, "127.0.0.1", 0, io.roam.agent.cluster.EventSink.NONE,
          pki.agent(name), tls.channelCredentials(), directory);
      EpochGuard epochs = new EpochGuard(dir.resolve(name + "-epoch"), () -> 1);
      epochs.admit(1); // the agent knows the master of epoch 1, the one ZooKeeper shows
      service = new AgentGrpcService(vms, epochs, name, migrations, () -> {}, "nothing");
      server = NettyServerBuilder.forPort(0, tls.serverCredentials())
          .addService(io.roam.common.security.AccessTable.authorization().guard(service)).build().start();
      // The callers of these tests hold a master's certificate: what a stolen or careless master key could do.
      channel = NettyChannelBuilder.forTarget("127.0.0.1:" + server.getPort(),
          pki.files(io.roam.common.security.Role.MASTER, "m1").channelCredentials()).build();
      registered.put(name, new HostDirectory.Peer("127.0.0.1", server.getPort()));
    }

    /** This agent's AgentService as the agent of {@code host} calls it (a migration source). */
    AgentServiceGrpc.AgentServiceBlockingStub stubFromAgent(String host) throws Exception {
      ManagedChannel ch = NettyChannelBuilder.forTarget("127.0.0.1:" + server.getPort(),
          pki.files(io.roam.common.security.Role.AGENT, host).channelCredentials()).build();
      extraChannels.add(ch);
      return AgentServiceGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private final java.util.List<ManagedChannel> extraChannels = new java.util.concurrent.CopyOnWriteArrayList<>();

    AgentServiceGrpc.AgentServiceBlockingStub stub() {
      return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    int port() {
      return server.getPort();
    }

    @Override
    public void close() {
      channel.shutdownNow();
      extraChannels.forEach(ManagedChannel::shutdownNow);
      server.shutdownNow();
      migrations.close();
      vms.close();
    }
  }

  TwoAgents(Path dir) throws Exception {
    this.dir = dir;
    pki = new io.roam.agent.migration.TestPki(dir.resolve("pki"));
    src = new Agent("src");
    dst = new Agent("dst");
  }

  /** A running VM on src, owned by src. */
  void runOnSrc(String vm) {
    ownership.records.put(vm, new io.roam.agent.migration.Ownership.Owner("src", 1, 0));
    src.vms.create(new VmSpec(vm, "idle", 16 * MIB, Map.of(), ""), 1).join();
    src.vms.start(vm, 1).join();
  }

  @Override
  public void close() {
    src.close();
    dst.close();
  }
}
