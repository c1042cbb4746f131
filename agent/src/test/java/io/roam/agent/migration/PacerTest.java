package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Issue 10: a cancel ends a migration's pacing wait at once, however long the wait was to be. */
class PacerTest {
  @Test
  void aCancelInterruptsAWaitOfManyMinutes() throws Exception {
    Pacer pacer = new Pacer(MigrationParams.MIN_BANDWIDTH);
    CompletableFuture<Void> paced = CompletableFuture.runAsync(() -> {
      try {
        pacer.pace(1L << 30); // 1 GiB at 1 MiB/s: a wait of about 17 minutes
      } catch (InterruptedException | MigrationException e) {
        throw new RuntimeException(e);
      }
    });
    assertThat(paced).isNotDone();
    pacer.cancel();
    // Far less than the 17 minutes, and far more than any machine needs to wake a thread.
    assertThat(paced).failsWithin(Duration.ofSeconds(30)).withThrowableThat().withMessageContaining("cancelled");
  }

  @Test
  void withoutALimitItNeverWaitsAndACancelledPacerRefusesAtOnce() throws Exception {
    Pacer unlimited = new Pacer(0);
    unlimited.pace(1L << 40);
    Pacer cancelled = new Pacer(MigrationParams.MIN_BANDWIDTH);
    cancelled.cancel();
    CompletableFuture<Void> f = CompletableFuture.runAsync(() -> {
      try {
        cancelled.pace(1L << 30);
      } catch (InterruptedException | MigrationException e) {
        throw new RuntimeException(e);
      }
    });
    assertThat(f).failsWithin(30, TimeUnit.SECONDS).withThrowableThat().withMessageContaining("cancelled");
  }
}
