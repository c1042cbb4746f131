package io.roam.agent.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.roam.agent.memory.GuestMemory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestRuntimeTest {
  @TempDir Path dir;
  private GuestMemory memory;
  private final AtomicLong now = new AtomicLong(1_000_000);
  private Thread loop;
  private GuestRuntime runtime;
  private final SlowProgram program = new SlowProgram();

  /** A program whose step takes 3 ms and says whether it is inside a step. */
  static final class SlowProgram implements GuestProgram {
    final AtomicBoolean inStep = new AtomicBoolean();
    final AtomicLong steps = new AtomicLong();
    volatile boolean closed;

    @Override
    public void boot(GuestMemory m, GuestArgs a) {}

    @Override
    public void resume(GuestMemory m, GuestArgs a) {}

    @Override
    public void step(GuestMemory m) {
      inStep.set(true);
      long end = System.nanoTime() + 3_000_000;
      while (System.nanoTime() < end) {
        Thread.onSpinWait();
      }
      m.putLong(0, steps.incrementAndGet());
      inStep.set(false);
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  @BeforeEach
  void start() {
    memory = GuestMemory.create(dir.resolve("vm.mem"), 16 << 20);
    memory.header().renewLease(Long.MAX_VALUE);
    runtime = new GuestRuntime(memory, program, now::get);
    loop = new Thread(() -> {
      try {
        runtime.run(false, new GuestArgs(Map.of(), "127.0.0.1"));
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    loop.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> runtime.stats().steps() > 3);
  }

  @AfterEach
  void stop() throws Exception {
    runtime.stop();
    runtime.resume();
    loop.join(5000);
    memory.close();
  }

  @Test
  void pauseIsAcknowledgedOnlyAtASafePointAndStopsStepping() throws Exception {
    for (int i = 0; i < 20; i++) {
      runtime.pause(Duration.ofSeconds(5));
      assertThat(program.inStep.get()).as("pause returned in the middle of a step").isFalse();
      assertThat(runtime.state()).isEqualTo(GuestRuntime.State.PAUSED);
      long steps = runtime.stats().steps();
      long heartbeat = memory.header().heartbeat();
      Thread.sleep(15);
      assertThat(runtime.stats().steps()).isEqualTo(steps);
      assertThat(memory.header().heartbeat()).isEqualTo(heartbeat);
      assertThat(memory.getLong(0)).isEqualTo(program.steps.get());
      runtime.resume();
      await().atMost(Duration.ofSeconds(5)).until(() -> runtime.stats().steps() > steps);
    }
  }

  @Test
  void anExpiredLeasePausesTheVmUntilItIsRenewed() {
    memory.header().renewLease(now.get() + 1000);
    now.addAndGet(2000); // the agent stopped renewing: the lease runs out
    await().atMost(Duration.ofSeconds(5)).until(() -> runtime.state() == GuestRuntime.State.LEASE_EXPIRED);
    long steps = runtime.stats().steps();
    await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> runtime.stats().steps() == steps);

    memory.header().renewLease(now.get() + 1000);
    await().atMost(Duration.ofSeconds(5)).until(() -> runtime.stats().steps() > steps);
    assertThat(runtime.state()).isEqualTo(GuestRuntime.State.RUNNING);
  }

  @Test
  void throttleMakesTheVmSleepBetweenSteps() throws Exception {
    // Measured by what the VM's thread does, not by how many steps it makes: a sleeping thread is
    // TIMED_WAITING whatever the machine's load, while steps per second follow the load.
    double free = sleepingShare(Duration.ofMillis(400));
    runtime.throttle(80);
    await().atMost(Duration.ofSeconds(5)).until(() -> runtime.stats().throttlePercent() == 80);
    double throttled = sleepingShare(Duration.ofMillis(400));
    runtime.throttle(0);
    // 80 % throttle: the thread sleeps about four fifths of the time; unthrottled, barely at all.
    assertThat(throttled).isGreaterThan(0.5);
    assertThat(free).isLessThan(0.3);
    long steps = runtime.stats().steps();
    await().atMost(Duration.ofSeconds(5)).until(() -> runtime.stats().steps() > steps);
    assertThat(runtime.stats().throttlePercent()).isZero();
  }

  @Test
  void stopEndsTheLoopAndClosesTheProgram() throws Exception {
    runtime.stop();
    loop.join(5000);
    assertThat(loop.isAlive()).isFalse();
    assertThat(runtime.state()).isEqualTo(GuestRuntime.State.STOPPED);
    assertThat(program.closed).isTrue();
  }


  /** The share of samples, over {@code d}, in which the VM's thread was sleeping. */
  private double sleepingShare(Duration d) throws InterruptedException {
    int samples = 0;
    int sleeping = 0;
    long end = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < end) {
      if (loop.getState() == Thread.State.TIMED_WAITING) {
        sleeping++;
      }
      samples++;
      Thread.sleep(0, 200_000);
    }
    return (double) sleeping / samples;
  }

}
