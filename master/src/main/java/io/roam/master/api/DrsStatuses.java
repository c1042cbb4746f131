package io.roam.master.api;

import io.roam.master.scheduler.Recommendation;
import io.roam.master.scheduler.SchedulerStatus;
import io.roam.proto.DrsStatus;

/** SchedulerStatus to its protocol message. */
final class DrsStatuses {
  private DrsStatuses() {}

  static DrsStatus toProto(SchedulerStatus s) {
    DrsStatus.Builder b = DrsStatus.newBuilder().setImbalance(s.imbalance()).setTargetImbalance(s.targetImbalance())
        .setThreshold(s.threshold()).setAutomation(s.automation()).setDpmLevel(s.dpmLevel())
        .setUtilizationShort(s.utilizationShort()).setUtilizationLong(s.utilizationLong())
        .putAllBlocked(s.blocked()).setDpmNote(s.dpmNote()).setLastPassTimeMs(s.passTimeMs())
        .setDpmTargetPercent((int) Math.round(100 * s.dpmTarget()))
        .setDpmTolerancePercent((int) Math.round(100 * s.dpmTolerance())).putAllHostLoads(s.hostLoads());
    for (Recommendation r : s.recommendations()) {
      b.addRecommendations(io.roam.proto.Recommendation.newBuilder().setId(r.id()).setKind(r.kind()).setVm(r.vm())
          .setFromHost(r.from()).setToHost(r.to()).setReason(r.reason()));
    }
    return b.build();
  }
}
