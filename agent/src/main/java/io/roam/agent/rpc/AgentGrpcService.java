package io.roam.agent.rpc;

import io.grpc.stub.StreamObserver;
import io.roam.agent.fencing.EpochGuard;
import io.roam.agent.vm.VmManager;
import io.roam.agent.vm.VmView;
import io.roam.agent.migration.MigrationService;
import io.roam.proto.AgentCreateVmRequest;
import io.roam.proto.AgentMigrateRequest;
import io.roam.proto.ListMigrationsRequest;
import io.roam.proto.ListMigrationsResponse;
import io.roam.proto.MigrationId;
import io.roam.proto.MigrationInfo;
import io.roam.proto.PrepareMigrationRequest;
import io.roam.proto.PrepareMigrationResponse;
import io.roam.proto.AgentListVmsRequest;
import io.roam.proto.AgentServiceGrpc;
import io.roam.proto.AgentVmRequest;
import io.roam.proto.ListVmsResponse;
import io.roam.proto.VmInfo;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * AgentService over gRPC. Mutating calls pass the {@link EpochGuard} first; work is handed to the
 * VM's queue and the reply is sent when it completes, so no gRPC thread waits on a VM.
 */
public final class AgentGrpcService extends AgentServiceGrpc.AgentServiceImplBase {
  private final VmManager vms;
  private final EpochGuard epochs;
  private final String host;
  private final MigrationService migrations;

  private final Runnable shutdown;
  private final io.roam.agent.cluster.DatastoreProbe datastoreProbe;
  private final String shutdownDescription;

  /**
   * @param shutdown what powering the host off through the agent does (runs after the answer)
   */
  public AgentGrpcService(VmManager vms, EpochGuard epochs, String host, MigrationService migrations,
      Runnable shutdown, String shutdownDescription) {
    this(vms, epochs, host, migrations, shutdown, shutdownDescription, null);
  }

  /** @param datastoreProbe this host's part of `roamctl cluster check`; null: the probe is refused */
  public AgentGrpcService(VmManager vms, EpochGuard epochs, String host, MigrationService migrations,
      Runnable shutdown, String shutdownDescription, io.roam.agent.cluster.DatastoreProbe datastoreProbe) {
    this.datastoreProbe = datastoreProbe;
    this.shutdown = shutdown;
    this.shutdownDescription = shutdownDescription;
    this.vms = vms;
    this.epochs = epochs;
    this.host = host;
    this.migrations = migrations;
  }

  @Override
  public void shutdownHost(io.roam.proto.ShutdownHostRequest req, StreamObserver<io.roam.proto.ShutdownHostResponse> out) {
    try {
      epochs.admit(req.getMasterEpoch());
      List<String> busy = vms.list().stream().filter(v -> v.state() != io.roam.agent.vm.VmState.STOPPED
          && v.state() != io.roam.agent.vm.VmState.CREATED && v.state() != io.roam.agent.vm.VmState.CRASHED)
          .map(v -> v.spec().name() + " (" + v.state().name().toLowerCase(java.util.Locale.ROOT) + ")").toList();
      if (!busy.isEmpty()) {
        throw io.grpc.Status.FAILED_PRECONDITION.withDescription("host " + host + " still runs VMs: "
            + String.join(", ", busy) + "; move or stop them first").asRuntimeException();
      }
      out.onNext(io.roam.proto.ShutdownHostResponse.newBuilder().setAction(shutdownDescription).build());
      out.onCompleted();
      Thread t = new Thread(shutdown, "host-shutdown");
      t.setDaemon(false);
      t.start();
    } catch (RuntimeException e) {
      out.onError(e instanceof io.grpc.StatusRuntimeException ? e : AgentStatuses.toStatus(e));
    }
  }

  /** No epoch guard: a read changes nothing, and only a master may call it (AccessTable). */
  @Override
  public void readVmLog(io.roam.proto.ReadVmLogRequest req, StreamObserver<io.roam.proto.VmLogChunk> out) {
    try {
      io.roam.agent.vm.VmLogReader.Chunk c = vms.readLog(req.getName(), req.getOffset(), req.getMaxBytes(),
          req.getFileId());
      out.onNext(io.roam.proto.VmLogChunk.newBuilder().setData(com.google.protobuf.UnsafeByteOperations.unsafeWrap(c.data())) // the array is this chunk's alone
          .setNextOffset(c.nextOffset()).setSize(c.size()).setRestarted(c.restarted()).setFileId(c.fileId())
          .setHost(host).build());
      out.onCompleted();
    } catch (java.io.IOException e) {
      out.onError(io.grpc.Status.UNAVAILABLE.withDescription("cannot read the log of " + req.getName() + " on host "
          + host + ": " + e.getMessage()).asRuntimeException());
    } catch (RuntimeException e) {
      out.onError(AgentStatuses.toStatus(e));
    }
  }

  /** No epoch guard: the probe changes no VM, and only a master may call it (AccessTable). */
  @Override
  public void probeDatastore(io.roam.proto.DatastoreProbeRequest req,
      StreamObserver<io.roam.proto.DatastoreProbeResponse> out) {
    if (datastoreProbe == null) {
      out.onError(io.grpc.Status.UNIMPLEMENTED.withDescription("host " + host + " has no datastore probe")
          .asRuntimeException());
      return;
    }
    CompletableFuture<io.roam.agent.cluster.DatastoreProbe.Result> f;
    try {
      f = datastoreProbe.probeAsync(req.getToken(), req.getWrite(), req.getReadHostsList(), req.getRemove());
    } catch (RuntimeException e) {
      out.onError(AgentStatuses.toStatus(e));
      return;
    }
    f.whenComplete((r, err) -> {
      if (err != null) {
        out.onError(AgentStatuses.toStatus(err));
        return;
      }
      out.onNext(io.roam.proto.DatastoreProbeResponse.newBuilder().setHost(host)
          .setDatastore(datastoreProbe.datastore().toString()).setWriteError(r.writeError()).addAllSeen(r.seen())
          .addAllUnseen(r.unseen()).setWallClockMillis(System.currentTimeMillis()).build());
      out.onCompleted();
    });
  }

  @Override
  public void migrateVm(AgentMigrateRequest req, StreamObserver<MigrationInfo> out) {
    unary(out, () -> {
      epochs.admit(req.getMasterEpoch());
      return AgentProtos.toProto(migrations.start(req.getName(), req.getDestination().getName(),
          req.getDestination().getAddress(), req.getDestination().getPort(), AgentProtos.toParams(req.getParams()),
          req.getMasterEpoch(), req.getCheckpointIntervalMs() == 0 ? null
              : java.time.Duration.ofMillis(Math.max(MIN_CHECKPOINT_MS, req.getCheckpointIntervalMs()))));
    });
  }

  @Override
  public void prepareMigration(PrepareMigrationRequest req, StreamObserver<PrepareMigrationResponse> out) {
    try {
      epochs.admit(req.getMasterEpoch());
      var spec = io.roam.common.model.VmSpecs.fromProto(req.getSpec());
      (req.getSecondary() ? migrations.prepareSecondary(spec, req.getOwnerEpoch(), req.getSourceHost())
          : migrations.prepare(spec, req.getOwnerEpoch(), req.getSourceHost())).whenComplete((p, err) -> {
            if (err != null) {
              out.onError(AgentStatuses.toStatus(err));
            } else {
              out.onNext(PrepareMigrationResponse.newBuilder().setToken(p.token()).setDataAddress(p.dataHost())
                  .setDataPort(p.dataPort()).setDestMemoryFileUs(p.memoryFileMicros())
                  .setDestJvmUs(p.jvmMicros()).build());
              out.onCompleted();
            }
          });
    } catch (RuntimeException e) {
      out.onError(AgentStatuses.toStatus(e));
    }
  }

  /** FT: the shortest checkpoint interval an agent takes (each checkpoint pauses the VM). */
  static final long MIN_CHECKPOINT_MS = 5;

  @Override
  public void promoteSecondary(AgentVmRequest req, StreamObserver<VmInfo> out) {
    try {
      epochs.admit(req.getMasterEpoch());
      migrations.promote(req.getName()).whenComplete((done, err) -> {
        if (err != null) {
          out.onError(AgentStatuses.toStatus(err instanceof java.util.concurrent.CompletionException && err.getCause() != null
              ? err.getCause() : err));
        } else {
          out.onNext(AgentProtos.toProto(done.view(), host));
          out.onCompleted();
        }
      });
    } catch (RuntimeException e) {
      out.onError(AgentStatuses.toStatus(e));
    }
  }

  @Override
  public void listMigrations(ListMigrationsRequest req, StreamObserver<ListMigrationsResponse> out) {
    unary(out, () -> {
      ListMigrationsResponse.Builder b = ListMigrationsResponse.newBuilder();
      migrations.list().forEach(m -> b.addMigrations(withCheckpoints(AgentProtos.toProto(m))));
      return b.build();
    });
  }

  @Override
  public void getMigration(MigrationId req, StreamObserver<MigrationInfo> out) {
    unary(out, () -> withCheckpoints(AgentProtos.toProto(migrations.get(req.getId()))));
  }

  @Override
  public void cancelMigration(MigrationId req, StreamObserver<MigrationInfo> out) {
    try (var ids = io.roam.common.logging.LogContext.with(io.roam.common.logging.LogContext.MIGRATION, req.getId())) {
      unary(out, () -> {
        epochs.admit(req.getMasterEpoch());
        return AgentProtos.toProto(migrations.cancel(req.getId()));
      });
    }
  }

  /** An FT protection's statistics added to its migration info. */
  private MigrationInfo withCheckpoints(MigrationInfo m) {
    io.roam.agent.migration.CheckpointStats.Snapshot c;
    try {
      c = migrations.checkpoints(m.getId());
    } catch (RuntimeException e) {
      return m; // trimmed meanwhile
    }
    return c == null ? m : m.toBuilder().setCheckpoints(io.roam.proto.CheckpointStats.newBuilder()
        .setCheckpoints(c.checkpoints()).setPauseMedianUs(c.pauseMedianMicros()).setPauseP99Us(c.pauseP99Micros())
        .setPauseMaxUs(c.pauseMaxMicros()).setBytes(c.bytes()).setAckMedianUs(c.ackMedianMicros())
        .setIntervalMs(c.intervalMs()).setThrottlePercent(c.throttlePercent())).build();
  }

  private static <T> void unary(StreamObserver<T> out, java.util.function.Supplier<T> body) {
    try {
      out.onNext(body.get());
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(AgentStatuses.toStatus(e));
    }
  }

  @Override
  public void createVm(AgentCreateVmRequest req, StreamObserver<VmInfo> out) {
    guarded(req.getMasterEpoch(), () -> vms.create(io.roam.common.model.VmSpecs.fromProto(req.getSpec()), req.getOwnerEpoch()), out);
  }

  @Override
  public void startVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
    guarded(req.getMasterEpoch(), () -> vms.start(req.getName(), req.getOwnerEpoch()), out);
  }

  @Override
  public void stopVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
    guarded(req.getMasterEpoch(), () -> vms.stop(req.getName()), out);
  }

  @Override
  public void powerOffVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
    guarded(req.getMasterEpoch(), () -> vms.powerOff(req.getName()), out);
  }

  @Override
  public void destroyVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
    guarded(req.getMasterEpoch(), () -> vms.delete(req.getName()), out); // only the operator's delete comes here
  }

  @Override
  public void listVms(AgentListVmsRequest req, StreamObserver<ListVmsResponse> out) {
    ListVmsResponse.Builder b = ListVmsResponse.newBuilder();
    vms.list().forEach(v -> b.addVms(AgentProtos.toProto(v, host)));
    out.onNext(b.build());
    out.onCompleted();
  }

  @Override
  public void describeVm(AgentVmRequest req, StreamObserver<VmInfo> out) {
    try {
      out.onNext(AgentProtos.toProto(vms.describe(req.getName()), host));
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(AgentStatuses.toStatus(e));
    }
  }

  private void guarded(long epoch, Supplier<CompletableFuture<VmView>> op, StreamObserver<VmInfo> out) {
    CompletableFuture<VmView> f;
    try {
      epochs.admit(epoch);
      f = op.get();
    } catch (RuntimeException e) {
      out.onError(AgentStatuses.toStatus(e));
      return;
    }
    f.whenComplete((v, err) -> {
      if (err != null) {
        out.onError(AgentStatuses.toStatus(err));
      } else {
        out.onNext(AgentProtos.toProto(v, host));
        out.onCompleted();
      }
    });
  }
}
