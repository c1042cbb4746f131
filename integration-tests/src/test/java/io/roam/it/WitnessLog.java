package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.chaos.Violation;
import io.roam.chaos.WitnessChecker;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * DESIGN.md invariant 1 for the integration tests: no two instances (host, pid) of one VM ever
 * stepped at overlapping times, by the VMs' step witness logs on a datastore. The reading and the
 * comparison of runs are the chaos harness's ({@link WitnessChecker}); this turns them into an
 * assertion.
 */
final class WitnessLog {
  private WitnessLog() {}

  /** Asserts no overlap; returns how many instances of all VMs were seen (to show the test moved VMs). */
  static int assertNoOverlap(Path datastore) throws IOException {
    Map<String, List<WitnessChecker.Run>> runs = WitnessChecker.read(datastore);
    List<Violation> overlaps = WitnessChecker.check(datastore);
    assertThat(overlaps).as("two instances of a VM stepping at the same time").isEmpty();
    return (int) runs.values().stream()
        .mapToLong(list -> list.stream().map(r -> r.host() + " " + r.pid()).distinct().count()).sum();
  }
}
