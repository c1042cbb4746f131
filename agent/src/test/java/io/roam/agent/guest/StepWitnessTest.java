package io.roam.agent.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.roam.agent.memory.GuestMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The step witness records runs of steps from start to end, and always writes before the loop blocks. */
class StepWitnessTest {
  @TempDir Path dir;

  /** A step that moves the fake clock by 1 ms at its start and 1 ms at its end. */
  static final class TickingProgram implements GuestProgram {
    final AtomicLong clock;

    TickingProgram(AtomicLong clock) {
      this.clock = clock;
    }

    @Override
    public void boot(GuestMemory m, GuestArgs a) {}

    @Override
    public void resume(GuestMemory m, GuestArgs a) {}

    @Override
    public void step(GuestMemory m) throws java.io.IOException {
      clock.incrementAndGet();
      try {
        Thread.sleep(1); // a real step takes time: a spinning loop would pass any period before the test looks
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      clock.incrementAndGet();
    }
  }

  private record Line(String host, long pid, long from, long to, long steps) {
    static Line parse(String s) {
      String[] p = s.split(" ");
      assertThat(p).as("line '%s'", s).hasSize(5);
      return new Line(p[0], Long.parseLong(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3]), Long.parseLong(p[4]));
    }
  }

  private List<Line> lines(Path log) throws Exception {
    return Files.readAllLines(log).stream().map(Line::parse).toList();
  }

  @Test
  void withPeriodZeroEachStepIsALineAndAPauseLeavesAGapBetweenLines() throws Exception {
    AtomicLong clock = new AtomicLong(1_000);
    Path log = dir.resolve("witness/vm.log");
    try (GuestMemory memory = GuestMemory.create(dir.resolve("vm.mem"), 16 << 20);
        StepWitness witness = new StepWitness(log, "hostA", 0)) {
      memory.header().renewLease(Long.MAX_VALUE);
      GuestRuntime runtime = new GuestRuntime(memory, new TickingProgram(clock), clock::get);
      runtime.witness(witness);
      Thread loop = new Thread(() -> {
        try {
          runtime.run(false, new GuestArgs(Map.of(), "127.0.0.1"));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      long pausedAt;
      long stepsBefore;
      loop.start();
      try {
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.stats().steps() > 5);
        runtime.pause(Duration.ofSeconds(5));
        pausedAt = clock.get();
        stepsBefore = runtime.stats().steps();
        clock.addAndGet(10_000); // time passes while paused
        runtime.resume();
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.stats().steps() > stepsBefore + 5);
      } finally {
        runtime.stop();
        runtime.resume();
        loop.join(5_000);
      }

      List<Line> lines = lines(log);
      assertThat(lines).hasSize((int) runtime.stats().steps()); // stop wrote the last one
      for (int i = 0; i < lines.size(); i++) {
        Line l = lines.get(i);
        assertThat(l.host()).isEqualTo("hostA");
        assertThat(l.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(l.steps()).isEqualTo(i + 1);
        assertThat(l.to()).as("a step's end is after its start").isGreaterThan(l.from());
        if (i > 0) {
          assertThat(l.from()).as("runs do not overlap").isGreaterThanOrEqualTo(lines.get(i - 1).to());
        }
      }
      Line lastBeforePause = lines.get((int) stepsBefore - 1);
      Line firstAfterPause = lines.get((int) stepsBefore);
      assertThat(lastBeforePause.to()).isLessThanOrEqualTo(pausedAt);
      assertThat(firstAfterPause.from()).isGreaterThanOrEqualTo(pausedAt + 10_000);
    }
  }

  @Test
  void aRunIsWrittenWhenItIsAPeriodLongAndBeforeTheLoopWaitsForItsLease() throws Exception {
    AtomicLong clock = new AtomicLong(1_000);
    Path log = dir.resolve("witness/vm.log");
    try (GuestMemory memory = GuestMemory.create(dir.resolve("vm.mem"), 16 << 20);
        StepWitness witness = new StepWitness(log, "hostA", 1_000_000)) {
      memory.header().renewLease(Long.MAX_VALUE);
      GuestRuntime runtime = new GuestRuntime(memory, new TickingProgram(clock), clock::get);
      runtime.witness(witness);
      Thread loop = new Thread(() -> {
        try {
          runtime.run(false, new GuestArgs(Map.of(), "127.0.0.1"));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      loop.start();
      try {
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.stats().steps() > 5);
        assertThat(Files.size(log)).as("a run shorter than the period is not written yet").isZero();
        memory.header().renewLease(clock.get() + 50); // the lease runs out within a few steps
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.state() == GuestRuntime.State.LEASE_EXPIRED);
        List<Line> lines = lines(log);
        assertThat(lines).as("the run was written before the loop waited for its lease").hasSize(1);
        assertThat(lines.get(0).from()).isEqualTo(1_000);
        assertThat(lines.get(0).to()).isLessThan(memory.header().leaseDeadline() + 1);
      } finally {
        runtime.stop();
        loop.join(5_000);
      }
    }
  }
}
