package io.roam.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 10: the cluster's migration defaults have sane bounds, refused in one line. */
class MigrationKnobsConfigTest {
  private static Config load(String... args) {
    return Config.load(RoamKeys.MASTER, args, Map.of(), null);
  }

  @Test
  void aBandwidthCapBelowOneMibPerSecondIsRefusedAndZeroMeansNone() {
    assertThatThrownBy(() -> load("--migration-max-bandwidth", "1")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("migration.max-bandwidth").hasMessageContaining("1 MiB")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    assertThat(load("--migration-max-bandwidth", "0").get(RoamKeys.MIGRATION_MAX_BANDWIDTH)).isZero();
    assertThat(load("--migration-max-bandwidth", "1MiB").get(RoamKeys.MIGRATION_MAX_BANDWIDTH)).isEqualTo(1L << 20);
  }

  @Test
  void aMaxTimeBeyondADayIsRefused() {
    assertThatThrownBy(() -> load("--migration-max-time-ms", Long.toString(365L * 24 * 3600 * 1000)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("migration.max-time-ms");
    assertThat(load("--migration-max-time-ms", "86400000").get(RoamKeys.MIGRATION_MAX_TIME_MS)).isEqualTo(86_400_000L);
  }
}
