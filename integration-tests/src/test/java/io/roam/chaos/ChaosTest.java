package io.roam.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short chaos run of every build (about five minutes): a fixed seed, a few rounds, at most four
 * minutes of rounds. It asserts only the invariants, from evidence; times to serve again are
 * reported (bench-results/chaos-*.csv), never asserted, so a slow machine does not fail it.
 */
class ChaosTest {
  /** A seed whose eight rounds draw every kind of fault once. */
  static final long SEED = 40L;
  @TempDir Path dir;

  @Test
  void aShortSeededRunOfFaultsBreaksNoInvariant() throws Exception {
    ChaosReport report = new ChaosRun(new ChaosRun.Options(8, SEED, 4, dir, results())).run();
    if (!report.violations().isEmpty()) {
      keepLogs(); // the run's directory goes with the test; what happened must not
    }
    assertThat(report.violations()).as("violations (replay: ./roam chaos --seed %d --rounds 8; the daemons' logs"
        + " are kept in %s)", SEED, results().resolve("logs").toAbsolutePath()).isEmpty();
  }

  /** Copies the daemons' and VMs' logs of the run to the results directory. */
  private void keepLogs() throws java.io.IOException {
    Path to = results().resolve("logs");
    try (var files = java.nio.file.Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".log"))::iterator) {
        Path target = to.resolve(dir.relativize(f).toString().replace('/', '_'));
        java.nio.file.Files.createDirectories(to);
        java.nio.file.Files.copy(f, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  static Path results() {
    return Path.of(System.getProperty("roam.chaos.results", "target/chaos-results"));
  }
}
