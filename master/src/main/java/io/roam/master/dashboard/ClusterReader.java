package io.roam.master.dashboard;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.roam.master.api.ClusterGrpcService;
import io.roam.proto.ApplyRequest;
import io.roam.proto.DrsStatus;
import io.roam.proto.DrsStatusRequest;
import io.roam.proto.LeaderInfo;
import io.roam.proto.LeaderRequest;
import io.roam.proto.ListEventsRequest;
import io.roam.proto.ListHostsRequest;
import io.roam.proto.ListMigrationsRequest;
import io.roam.proto.ListVmsRequest;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * Reads a {@link ClusterView} through this master's own ClusterService, in process: the dashboard
 * sees exactly what roamctl sees (the same merges of ZooKeeper and agents, the same queues), and
 * applies DRS recommendations by the same path as {@code roamctl drs apply}. The caller's role is
 * checked before (the dashboard's edge); this class trusts its caller. Thread-safe; calls block.
 */
final class ClusterReader {
  private static final long DEADLINE_MS = 15_000;

  private final ClusterGrpcService api;
  private final BooleanSupplier leading;
  private final Clock clock;
  private final boolean haEnabled;
  private final int haHostFailures;

  ClusterReader(ClusterGrpcService api, BooleanSupplier leading, Clock clock, boolean haEnabled, int haHostFailures) {
    this.api = api;
    this.leading = leading;
    this.clock = clock;
    this.haEnabled = haEnabled;
    this.haHostFailures = haHostFailures;
  }

  ClusterView read(List<DashboardHistory.Sample> history) throws Exception {
    LeaderInfo leader = call(api::getLeader, LeaderRequest.getDefaultInstance());
    var hosts = call(api::listHosts, ListHostsRequest.getDefaultInstance()).getHostsList();
    var vms = call(api::listVms, ListVmsRequest.getDefaultInstance()).getVmsList();
    var migrations = call(api::listMigrations, ListMigrationsRequest.getDefaultInstance()).getMigrationsList();
    var events = call(api::listEvents, ListEventsRequest.newBuilder().setLimit(DashboardSnapshot.EVENTS).build())
        .getEventsList();
    Optional<DrsStatus> drs = Optional.empty();
    if (leading.getAsBoolean()) {
      try {
        drs = Optional.of(call(api::getDrsStatus, DrsStatusRequest.getDefaultInstance()));
      } catch (StatusRuntimeException e) {
        // leadership ended between the two reads: the page shows "no DRS" until the next one
      }
    }
    return new ClusterView(clock.millis(), leader, hosts, vms, migrations, events, drs, haEnabled, haHostFailures,
        history);
  }

  /** What a chart sample needs: hosts and the last DRS pass only (no agent is asked). */
  ClusterView readForSample() throws Exception {
    var hosts = call(api::listHosts, ListHostsRequest.getDefaultInstance()).getHostsList();
    Optional<DrsStatus> drs = Optional.empty();
    try {
      drs = Optional.of(call(api::getDrsStatus, DrsStatusRequest.getDefaultInstance()));
    } catch (StatusRuntimeException e) {
      // not leading any more: a sample without DRS figures
    }
    return new ClusterView(clock.millis(), LeaderInfo.getDefaultInstance(), hosts, List.of(), List.of(), List.of(), drs,
        haEnabled, haHostFailures, List.of());
  }

  /** Applies the recommendation {@code id}; a refusal is a StatusRuntimeException with the leader's reason. */
  DrsStatus apply(String id) throws Exception {
    return call(api::applyRecommendations, ApplyRequest.newBuilder().addIds(id).build());
  }

  /** One unary call of the service, waited for; its error status is thrown as a StatusRuntimeException. */
  private static <Q, R> R call(BiConsumer<Q, StreamObserver<R>> method, Q request) throws Exception {
    CompletableFuture<R> result = new CompletableFuture<>();
    method.accept(request, new StreamObserver<R>() {
      @Override
      public void onNext(R value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    try {
      return result.get(DEADLINE_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception c ? c : e;
    } catch (TimeoutException e) {
      throw new TimeoutException("the cluster did not answer within " + DEADLINE_MS + " ms");
    }
  }
}
