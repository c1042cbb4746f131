package io.roam.agent.migration;

import io.roam.agent.vm.EndpointPublisher;
import io.roam.agent.vm.RecordingEndpoints;
import io.roam.agent.vm.VmLauncher;
import io.roam.agent.vm.VmManager;
import io.roam.common.model.VmSpec;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two agents' VM managers and migration services in this JVM, "src" and "dst" (the VMs are real
 * child processes, the data plane real sockets with mutual TLS); ownership is an in-memory
 * compare-and-set register.
 */
abstract class TwoAgents {
  static final long MIB = 1 << 20;
  @TempDir Path dir;
  Map<String, String> endpoints;
  final InMemoryOwnership ownership = new InMemoryOwnership();
  VmManager src;
  VmManager dst;
  MigrationService srcService;
  MigrationService dstService;
  final io.netty.channel.EventLoopGroup group = Transports.group(1);

  TestPki pki;
  DataPlaneSecurity srcTls;
  DataPlaneSecurity dstTls;

  @BeforeEach
  void setUp() throws Exception {
    pki = new TestPki(dir.resolve("pki"));
    srcTls = pki.agent("src");
    dstTls = pki.agent("dst");
    RecordingEndpoints publisher = new RecordingEndpoints();
    endpoints = publisher.published;
    src = manager("src", publisher);
    dst = manager("dst", publisher);
    srcService = new MigrationService(src, ownership, "src", "127.0.0.1", 0, srcTls);
    dstService = new MigrationService(dst, ownership, "dst", "127.0.0.1", 0, dstTls);
  }

  VmManager manager(String host, EndpointPublisher publisher) throws Exception {
    return new VmManager(new VmManager.Settings(host, dir.resolve(host + "/mem"), dir.resolve(host + "/run"),
        dir.resolve(host + "/logs"), 512 * MIB, 60_000), new VmLauncher(32 * MIB, "127.0.0.1"), publisher, ownership);
  }

  @AfterEach
  void tearDown() {
    FaultPoints.disarmAll();
    srcService.close();
    dstService.close();
    src.close();
    dst.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  void startVm(String name, String program, long memory, Map<String, String> args) {
    ownership.records.put(name, new Ownership.Owner("src", 1, 0));
    src.create(new VmSpec(name, program, memory, args, ""), 1).join();
    src.start(name, 1).join();
  }

  Migrator migrator(String vm, MigrationParams params) {
    return new Migrator("m-" + vm, vm, src.describe(vm).spec().memoryBytes(), "src", "127.0.0.1", "dst", params,
        (spec, epoch) -> dstService.prepare(spec, epoch, "src").get(60, TimeUnit.SECONDS), ownership, group, srcTls);
  }

  boolean migrate(String vm, Migrator m) {
    return MigrationRun.migrate(src, vm, m);
  }
}
