package io.roam.agent.guest.programs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SlowDatastoreFaultTest {
  @TempDir Path dir;

  @Test
  void offUnlessTheVmRunsWithFaults() {
    assertThat(System.getProperty("roam.faults")).isNull();
    assertThat(SlowDatastoreFault.forDatastore(dir)).as("no hook, nothing on the hot path").isNull();
  }

  @Test
  void eachForceWaitsAsLongAsTheFaultFileSays() throws Exception {
    SlowDatastoreFault slow = SlowDatastoreFault.always(dir);
    Files.createDirectories(SlowDatastoreFault.file(dir).getParent());
    Files.writeString(SlowDatastoreFault.file(dir), "120\n");
    long t0 = System.nanoTime();
    slow.beforeForce();
    assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(120);
    long t1 = System.nanoTime();
    slow.beforeForce(); // re-read after 100 ms: still there
    assertThat((System.nanoTime() - t1) / 1_000_000).isGreaterThanOrEqualTo(120);
  }
}
