package io.roam.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long chaos run, only with -Pchaos: {@code mvn -B verify -pl integration-tests -am -Pchaos
 * -Droam.chaos.rounds=200 [-Droam.chaos.seed=S] [-Droam.chaos.minutes=M]}. The target is 200 rounds
 * with no violation.
 */
@Tag("chaos")
class ChaosLongTest {
  @TempDir Path dir;

  @Test
  void manySeededRoundsOfFaultsBreakNoInvariant() throws Exception {
    int rounds = Integer.getInteger("roam.chaos.rounds", 200);
    String s = System.getProperty("roam.chaos.seed", "");
    long seed = s.isBlank() ? System.currentTimeMillis() : Long.parseLong(s.trim());
    double minutes = Double.parseDouble(System.getProperty("roam.chaos.minutes", "0"));
    ChaosReport report = new ChaosRun(new ChaosRun.Options(rounds, seed, minutes, dir, ChaosTest.results())).run();
    assertThat(report.violations()).as("violations (replay: ./roam chaos --seed %d --rounds %d)", seed, rounds).isEmpty();
  }
}
