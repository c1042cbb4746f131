package io.roam.agent.rpc;

import io.roam.agent.migration.MigrationInfo;
import io.roam.agent.migration.MigrationParams;
import io.roam.agent.vm.VmState;
import io.roam.agent.vm.VmView;
import io.roam.common.model.VmSpecs;
import io.roam.proto.VmInfo;

/** The one place where AgentService messages become domain types and back. */
public final class AgentProtos {
  private AgentProtos() {}

  public static VmInfo toProto(VmView v, String host) {
    VmInfo.Builder b = VmInfo.newBuilder().setSpec(VmSpecs.toProto(v.spec())).setHost(host).setState(toProto(v.state()))
        .setCpuNanos(v.cpuNanos()).setSteps(v.steps()).setHeartbeat(v.heartbeat())
        .setDirtyPagesPerSecond(v.dirtyPagesPerSecond()).setExitCode(v.exitCode()).setOwnerEpoch(v.ownerEpoch())
        .setLeaseExpired(v.leaseExpired()).setThrottlePercent(v.throttlePercent()).setPid(v.pid()).setMigrationId(v.migrationId());
    if (v.endpoint() != null) {
      b.setEndpoint(v.endpoint());
    }
    if (v.logTail() != null) {
      b.setLogTail(v.logTail());
    }
    return b.build();
  }

  public static io.roam.proto.MigrationInfo toProto(MigrationInfo m) {
    return io.roam.proto.MigrationInfo.newBuilder().setId(m.id()).setVm(m.vm()).setSource(m.source())
        .setDestination(m.destination()).setStatus(m.status().name().toLowerCase(java.util.Locale.ROOT))
        .setStartedAtMs(m.startedAtMillis()).setTotalTimeMs(m.totalTimeMillis()).setSetupTimeMs(m.setupTimeMillis())
        .setExpectedDowntimeMs(m.expectedDowntimeMillis()).setDowntimeMs(m.downtimeMillis())
        .setBytesTransferred(m.bytesTransferred()).setBytesRemaining(m.bytesRemaining()).setBytesTotal(m.bytesTotal())
        .setZeroPages(m.zeroPages()).setNormalPages(m.normalPages()).setDirtyPagesPerSecond(m.dirtyPagesPerSecond())
        .setThroughputBytesPerSecond(m.throughputBytesPerSecond()).setRounds(m.rounds())
        .setThrottlePercent(m.throttlePercent()).setError(m.error()).setPercent(m.percent())
        .setPhases(toProto(m.phases())).build();
  }

  public static io.roam.proto.MigrationPhases toProto(io.roam.agent.migration.MigrationPhases p) {
    return io.roam.proto.MigrationPhases.newBuilder().setOwnerReadUs(p.ownerReadMicros()).setPrepareUs(p.prepareMicros())
        .setDestMemoryFileUs(p.destMemoryFileMicros())
        .setDestJvmUs(p.destJvmMicros()).setConnectUs(p.connectMicros()).setCopyUs(p.copyMicros())
        .setLastPagesUs(p.lastPagesMicros()).setVerifyUs(p.verifyMicros()).setDestVerifyUs(p.destVerifyMicros())
        .setOwnershipUs(p.ownershipMicros()).setCommitUs(p.commitMicros()).setDestResumeUs(p.destResumeMicros())
        .setDestGoUs(p.destGoMicros()).setPauseUs(p.pauseMicros()).setTotalUs(p.totalMicros()).build();
  }

  /** Zero fields take the defaults. */
  public static MigrationParams toParams(io.roam.proto.MigrationParams p) {
    MigrationParams d = MigrationParams.DEFAULTS;
    return new MigrationParams(p.getDowntimeLimitMs() > 0 ? p.getDowntimeLimitMs() : d.downtimeLimitMillis(),
        p.getMaxBandwidthBytesPerSecond(), !p.getNoAutoConverge(),
        p.getMaxTotalMs() > 0 ? p.getMaxTotalMs() : d.maxTotalMillis(), p.getVerifyFullDigest());
  }

  public static io.roam.proto.VmState toProto(VmState s) {
    return switch (s) {
      case CREATED -> io.roam.proto.VmState.VM_STATE_CREATED;
      case STARTING -> io.roam.proto.VmState.VM_STATE_STARTING;
      case RUNNING -> io.roam.proto.VmState.VM_STATE_RUNNING;
      case PAUSED -> io.roam.proto.VmState.VM_STATE_PAUSED;
      case STOPPING -> io.roam.proto.VmState.VM_STATE_STOPPING;
      case STOPPED -> io.roam.proto.VmState.VM_STATE_STOPPED;
      case CRASHED -> io.roam.proto.VmState.VM_STATE_CRASHED;
      case INCOMING -> io.roam.proto.VmState.VM_STATE_INCOMING;
    };
  }
}
