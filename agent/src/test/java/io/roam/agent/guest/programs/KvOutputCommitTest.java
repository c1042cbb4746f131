package io.roam.agent.guest.programs;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.agent.memory.GuestMemoryHeader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FT's output commit in kv: with holding on, a reply leaves the VM only once the checkpoint that
 * holds its effects is acknowledged; the header words are set here as the agent sets them.
 */
class KvOutputCommitTest {
  @TempDir Path dir;

  @Test
  void aReplyIsHeldUntilItsCheckpointIsAcknowledgedWhileItsEffectIsAlreadyApplied() throws Exception {
    try (KvHarness vm = KvHarness.boot(dir.resolve("vm.mem"), null, 1, Map.of())) {
      GuestMemoryHeader h = vm.memory.header();
      h.setFtHolding(true); // protected: checkpoint 1 will hold what the next steps do
      try (KvHarness.Client c = vm.connect()) {
        c.send("PUT a 1");
        assertThat(c.replyWithin(200)).as("held until checkpoint 1 is acknowledged").isNull();
        assertThat(vm.program.handle("GET a")).isEqualTo("VALUE 1");

        h.setFtTaken(1); // checkpoint 1 captured (with the VM paused), not yet acknowledged
        assertThat(c.replyWithin(200)).isNull();
        h.setFtAcked(1);
        assertThat(c.replyWithin(200)).isEqualTo("OK");
      }
    }
  }

  @Test
  void anAcknowledgementReleasesOnlyTheRepliesOfTheCheckpointsItCovers() throws Exception {
    try (KvHarness vm = KvHarness.boot(dir.resolve("vm.mem"), null, 1, Map.of())) {
      GuestMemoryHeader h = vm.memory.header();
      h.setFtHolding(true);
      try (KvHarness.Client c = vm.connect()) {
        c.send("PUT a 1");
        assertThat(c.replyWithin(50)).isNull(); // applied in checkpoint 1's interval
        h.setFtTaken(1);
        c.send("INCR n");
        assertThat(c.replyWithin(50)).isNull(); // applied in checkpoint 2's interval
        h.setFtTaken(2);

        h.setFtAcked(1);
        assertThat(c.replyWithin(200)).isEqualTo("OK");
        assertThat(c.replyWithin(200)).as("checkpoint 2 is not acknowledged").isNull();
        h.setFtAcked(2);
        assertThat(c.replyWithin(200)).isEqualTo("VALUE 1");
      }
    }
  }

  @Test
  void whenProtectionEndsEverythingHeldLeavesAndNewRepliesAreNotHeld() throws Exception {
    try (KvHarness vm = KvHarness.boot(dir.resolve("vm.mem"), null, 1, Map.of())) {
      GuestMemoryHeader h = vm.memory.header();
      h.setFtHolding(true);
      try (KvHarness.Client c = vm.connect()) {
        c.send("PUT a 1");
        assertThat(c.replyWithin(50)).isNull();
        h.setFtHolding(false); // the secondary is gone: this copy is the only one, its output is safe
        assertThat(c.replyWithin(200)).isEqualTo("OK");
        assertThat(c.call("GET a")).isEqualTo("VALUE 1");
      }
    }
  }

  @Test
  void unprotectedRepliesAreNeverHeld() throws Exception {
    try (KvHarness vm = KvHarness.boot(dir.resolve("vm.mem"), null, 1, Map.of())) {
      try (KvHarness.Client c = vm.connect()) {
        c.send("PUT a 1");
        assertThat(c.replyWithin(200)).isEqualTo("OK");
      }
    }
  }
}
