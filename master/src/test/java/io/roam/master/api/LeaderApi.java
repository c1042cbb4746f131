package io.roam.master.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.concurrent.OrderedExecutor;
import io.roam.master.election.LeaderElection;
import io.roam.master.hosts.HostStatus;
import io.roam.master.hosts.LoadHistory;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.ZkFixture;
import io.roam.master.power.PowerDriverCatalog;
import io.roam.master.scheduler.ResourceScheduler;
import io.roam.proto.MigrationParams;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * ClusterService as the leader runs it, for API tests: master m1 elected on the fixture's real
 * ZooKeeper (writes bound to its term), no scheduler, agents reached over mutual TLS with a master
 * certificate of a CA in {@code dir/pki}. Not thread-safe to start or close; the service itself is.
 */
final class LeaderApi implements AutoCloseable {
  final ClusterGrpcService api;
  final AgentClients clients;
  final io.roam.master.TestTls tls;
  private final LeaderElection election;
  private final ExecutorService ops;
  private final AtomicReference<ClusterStore> termStore = new AtomicReference<>();

  /** @param drivers the masters' power drivers, or null for none */
  LeaderApi(ZkFixture f, Path dir, PowerDriverCatalog drivers) throws Exception {
    this(f, dir, drivers, io.roam.common.net.AddressPool.NONE);
  }

  /** @param pool the cluster's vm.address-pool */
  LeaderApi(ZkFixture f, Path dir, PowerDriverCatalog drivers, io.roam.common.net.AddressPool pool) throws Exception {
    election = new LeaderElection(f.zk, f.store, "m1", "127.0.0.1:1", new LeaderElection.Listener() {
      @Override
      public void establishLeadership(long epoch) throws Exception {
        termStore.set(f.store.forTerm(epoch));
      }

      @Override
      public void revokeLeadership() {
        termStore.set(null);
      }
    });
    LeaderState leader = new LeaderState() {
      @Override
      public Optional<ResourceScheduler> scheduler() {
        return Optional.empty();
      }

      @Override
      public Optional<HostStatus> host(String name) {
        return Optional.empty();
      }

      @Override
      public Optional<ClusterStore> store() {
        return Optional.ofNullable(termStore.get());
      }
    };
    tls = new io.roam.master.TestTls(dir.resolve("pki"));
    clients = tls.agentClients();
    ops = Executors.newFixedThreadPool(2);
    LoadHistory load = new LoadHistory(70_000);
    api = new ClusterGrpcService(f.store, clients, election, new OrderedExecutor(ops), f.events, leader, load,
        ClusterGrpcService.Settings.of(MigrationParams.getDefaultInstance(), 1, 60_000)
            .withPowerDrivers(drivers == null ? PowerDriverCatalog.none() : drivers).withAddressPool(pool));
    election.start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (termStore.get() == null && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertThat(termStore.get()).as("m1 elected").isNotNull();
  }

  @Override
  public void close() throws Exception {
    election.close();
    ops.shutdownNow();
    clients.close();
  }
}
