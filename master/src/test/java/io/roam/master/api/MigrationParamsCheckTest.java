package io.roam.master.api;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.roam.proto.MigrationParams;
import org.junit.jupiter.api.Test;

/** Issue 10: MigrateVm refuses knobs that would hold a VM's queue for days, before anything happens. */
class MigrationParamsCheckTest {
  @Test
  void aBandwidthOfOneByteASecondOrAYearLongLimitIsInvalid() {
    assertThatThrownBy(() -> ClusterGrpcService.checkMigrationParams(
        MigrationParams.newBuilder().setMaxBandwidthBytesPerSecond(1).build()))
        .isInstanceOf(MasterException.class).hasMessageContaining("at least 1 MiB/s")
        .extracting(e -> ((MasterException) e).code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThatThrownBy(() -> ClusterGrpcService.checkMigrationParams(
        MigrationParams.newBuilder().setMaxTotalMs(365L * 24 * 3600 * 1000).build()))
        .isInstanceOf(MasterException.class).hasMessageContaining("24 h");
    assertThatThrownBy(() -> ClusterGrpcService.checkMigrationParams(
        MigrationParams.newBuilder().setDowntimeLimitMs(-5).build()))
        .isInstanceOf(MasterException.class).hasMessageContaining("negative");
  }

  @Test
  void unsetKnobsAndSaneOnesPass() {
    assertThatCode(() -> ClusterGrpcService.checkMigrationParams(MigrationParams.getDefaultInstance())).doesNotThrowAnyException();
    assertThatCode(() -> ClusterGrpcService.checkMigrationParams(MigrationParams.newBuilder()
        .setMaxBandwidthBytesPerSecond(1L << 20).setMaxTotalMs(60_000).build())).doesNotThrowAnyException();
  }
}
