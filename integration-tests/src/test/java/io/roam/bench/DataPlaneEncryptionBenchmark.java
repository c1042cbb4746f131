package io.roam.bench;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.roam.agent.migration.DataPlaneSecurity;
import io.roam.agent.migration.MigrationEncryption;
import io.roam.agent.migration.MigrationInfo;
import io.roam.agent.migration.MigrationParams;
import io.roam.agent.migration.MigrationService;
import io.roam.agent.migration.Migrator;
import io.roam.agent.migration.Ownership;
import io.roam.agent.vm.EndpointPublisher;
import io.roam.agent.vm.VmLauncher;
import io.roam.agent.vm.VmManager;
import io.roam.common.model.VmSpec;
import io.roam.common.security.CertificateAuthority;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The data plane's encryption, measured on its own: two agents' VM managers and migration services
 * in this JVM (real VM processes, guest memory in /dev/shm, real loopback sockets, mutual TLS), one
 * idle VM moved back and forth, the runs with encryption {@code tls} and {@code off} interleaved so
 * that both see the same machine load. Ownership is an in-memory compare-and-set register: the
 * cluster's ZooKeeper and gRPC are not what this measures.
 */
final class DataPlaneEncryptionBenchmark {
  private static final long MIB = 1 << 20;
  /** Migrations before the reported ones, alternating tls and off. */
  private static final int WARM_UP = 4;

  /**
   * @param cpuNanos the benchmark process's CPU time over each run (both agents live in it; the idle
   *     guest, a child process, is not counted): what the data plane costs the two ends together
   */
  record Result(MigrationEncryption encryption, List<MigrationInfo> runs, List<Long> cpuNanos) {}

  private DataPlaneEncryptionBenchmark() {}

  static List<Result> run(long vmBytes, int reps) throws Exception {
    return run(vmBytes, reps, MigrationParams.DEFAULTS);
  }

  /** As {@link #run(long, int)}, each migration with {@code params} (a bandwidth limit, say). */
  static List<Result> run(long vmBytes, int reps, MigrationParams params) throws Exception {
    Path dir = Files.createTempDirectory("roam-dataplane-bench");
    Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "roam-dataplane-bench");
    CertificateAuthority ca = CertificateAuthority.init(dir.resolve("ca"), "bench");
    MemoryOwnership ownership = new MemoryOwnership();
    EventLoopGroup group = Epoll.isAvailable() ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
    List<MigrationInfo> tls = new ArrayList<>();
    List<MigrationInfo> off = new ArrayList<>();
    List<Long> tlsCpu = new ArrayList<>();
    List<Long> offCpu = new ArrayList<>();
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    try (Host a = new Host("a", dir, shm, ca, ownership); Host b = new Host("b", dir, shm, ca, ownership)) {
      ownership.records.put("idle", new Ownership.Owner("a", 1, 0));
      a.vms.create(new VmSpec("idle", "idle", vmBytes, Map.of(), ""), 1).join();
      a.vms.start("idle", 1).join();
      Thread.sleep(2000); // let the guest fill its memory
      Host from = a;
      Host to = b;
      // Warm-up (not reported), then tls and off alternately. Two of each: with one, the JIT was
      // still compiling the TLS path during the first reported runs (4.3 and 3.6 CPU s against 1.9
      // later for the same 1 GiB), and the unpaced median measured the compiler, not the data plane.
      for (int i = 0; i < WARM_UP + 2 * reps; i++) {
        MigrationEncryption e = i % 2 == 0 ? MigrationEncryption.TLS : MigrationEncryption.OFF;
        long cpu0 = os.getProcessCpuTime();
        MigrationInfo info = migrate(from, to, e, group, ownership, i, params);
        long cpu = os.getProcessCpuTime() - cpu0;
        System.out.printf("data plane, encryption %s: %.0f MB/s, downtime %d ms, %.2f CPU s%n", e.label(),
            info.throughputBytesPerSecond() / 1e6, info.downtimeMillis(), cpu / 1e9);
        if (i >= WARM_UP) {
          (e == MigrationEncryption.TLS ? tls : off).add(info);
          (e == MigrationEncryption.TLS ? tlsCpu : offCpu).add(cpu);
        }
        Host t = from;
        from = to;
        to = t;
      }
      from.vms.destroy("idle").get(60, TimeUnit.SECONDS);
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      try (var files = Files.walk(shm)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    return List.of(new Result(MigrationEncryption.TLS, tls, tlsCpu), new Result(MigrationEncryption.OFF, off, offCpu));
  }

  /**
   * The data plane's own TLS (BoringSSL, AES-128-GCM) sealing and opening 16 KiB records in memory,
   * in this process ({@link BoringSslCipherCost}); null without OpenSSL.
   */
  static BoringSslCipherCost.Cost cipherCost() throws Exception {
    Path dir = Files.createTempDirectory("roam-cipher-cost");
    CertificateAuthority ca = CertificateAuthority.init(dir.resolve("ca"), "bench");
    CertificateAuthority.Issued i = ca.issue(Role.AGENT, "a", List.of("127.0.0.1"), CertificateAuthority.DEFAULT_VALIDITY,
        Files.createDirectories(dir.resolve("a")));
    return BoringSslCipherCost.measure(TlsFiles.of(i.ca(), i.cert(), i.key()), 2_000);
  }

  private static MigrationInfo migrate(Host from, Host to, MigrationEncryption e, EventLoopGroup group,
      Ownership ownership, int n, MigrationParams params) throws Exception {
    from.encryption(e);
    to.encryption(e);
    Migrator m = new Migrator("bench-" + n, "idle", from.vms.describe("idle").spec().memoryBytes(), from.name, "127.0.0.1",
        to.name, params, (spec, epoch) -> to.service.prepare(spec, epoch, from.name)
            .get(60, TimeUnit.SECONDS), ownership, group, from.security.withEncryption(e));
    try {
      boolean moved = from.vms.migrateOut("idle", m.id(), m).get(300, TimeUnit.SECONDS);
      m.finish(moved, null);
    } catch (Exception ex) {
      m.finish(false, ex);
    }
    MigrationInfo info = m.info();
    if (info.error() != null && !info.error().isEmpty()) {
      throw new IllegalStateException("migration with encryption " + e.label() + " failed: " + info.error());
    }
    return info;
  }

  /** One agent's VM manager and migration service, restartable with another encryption setting. */
  private static final class Host implements AutoCloseable {
    final String name;
    final VmManager vms;
    final DataPlaneSecurity security;
    final Ownership ownership;
    MigrationService service;
    MigrationEncryption current;

    Host(String name, Path dir, Path shm, CertificateAuthority ca, Ownership ownership) throws Exception {
      this.name = name;
      this.ownership = ownership;
      Path out = dir.resolve("pki-" + name);
      Files.createDirectories(out);
      CertificateAuthority.Issued i = ca.issue(Role.AGENT, name, List.of("127.0.0.1"), CertificateAuthority.DEFAULT_VALIDITY,
          out);
      security = DataPlaneSecurity.of(TlsFiles.of(i.ca(), i.cert(), i.key()), MigrationEncryption.TLS);
      System.out.println("data plane TLS by " + security.provider());
      vms = new VmManager(new VmManager.Settings(name, shm.resolve(name), dir.resolve(name + "/run"),
          dir.resolve(name + "/logs"), 8L << 30, 60_000), new VmLauncher(32 * MIB, "127.0.0.1"), EndpointPublisher.NONE,
          ownership);
    }

    /** The receiving side's setting is the service's: restart it when it changes. */
    void encryption(MigrationEncryption e) throws Exception {
      if (e == current) {
        return;
      }
      if (service != null) {
        service.close();
      }
      service = new MigrationService(vms, ownership, name, "127.0.0.1", 0, security.withEncryption(e));
      current = e;
    }

    @Override
    public void close() {
      if (service != null) {
        service.close();
      }
      vms.close();
    }
  }

  /** Ownership records with versions, in memory. Thread-safe. */
  private static final class MemoryOwnership implements Ownership {
    final Map<String, Owner> records = new ConcurrentHashMap<>();

    @Override
    public Optional<Owner> read(String vm) {
      return Optional.ofNullable(records.get(vm));
    }

    @Override
    public synchronized boolean compareAndSet(String vm, int expectedVersion, String host, long epoch, String migration) {
      Owner o = records.get(vm);
      if (o == null || o.version() != expectedVersion) {
        return false;
      }
      records.put(vm, new Owner(host, epoch, expectedVersion + 1, migration));
      return true;
    }
  }
}
