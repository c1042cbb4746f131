package io.roam.agent.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.roam.agent.memory.GuestMemory;
import io.roam.agent.vm.VmControlClient;
import io.roam.agent.vm.VmOperationException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control protocol over a real Unix socket, as the agent speaks it to a VM's JVM. */
class ControlServerTest {
  @TempDir Path dir;

  /** A program that serves on an endpoint once resumed, and lets a test hold its resume. */
  static final class ServingProgram implements GuestProgram {
    final CountDownLatch mayResume = new CountDownLatch(1); // lets the test see WAITING first
    volatile String endpoint;

    @Override
    public void boot(GuestMemory m, GuestArgs a) {}

    @Override
    public void resume(GuestMemory m, GuestArgs a) throws InterruptedException {
      mayResume.await();
      endpoint = "10.0.0.7:7070";
    }

    @Override
    public void step(GuestMemory m) throws InterruptedException {
      Thread.sleep(1);
    }

    @Override
    public String endpoint() {
      return endpoint;
    }

    @Override
    public void close() {}
  }

  @Test
  void goAnswersOnceTheProgramRunsWithItsStateAndEndpointSoTheAgentNeedsNoStatsCallInThePause()
      throws Exception {
    ServingProgram program = new ServingProgram();
    try (GuestMemory memory = GuestMemory.create(dir.resolve("vm.mem"), 16 << 20)) {
      memory.header().renewLease(Long.MAX_VALUE);
      GuestRuntime runtime = new GuestRuntime(memory, program, () -> 0L);
      Thread loop = new Thread(() -> {
        try {
          runtime.run(true, true, new GuestArgs(Map.of(), "127.0.0.1"));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      loop.start();
      try (ControlServer server = new ControlServer(dir.resolve("vm.sock"), runtime)) {
        VmControlClient client = new VmControlClient(dir.resolve("vm.sock"));
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.state() == GuestRuntime.State.WAITING);

        program.mayResume.countDown();
        Map<String, String> answer = VmControlClient.parseFields(client.call("GO 7", Duration.ofSeconds(15)));
        assertThat(answer).containsEntry("state", "RUNNING").containsEntry("endpoint", "10.0.0.7:7070");
        assertThat(runtime.state()).isEqualTo(GuestRuntime.State.RUNNING);
        client.close();
      } finally {
        runtime.stop();
        loop.join(5000);
      }
    }
  }

  /** A program whose boot a test holds. */
  static final class SlowBootProgram implements GuestProgram {
    final CountDownLatch mayBoot = new CountDownLatch(1);

    @Override
    public void boot(GuestMemory m, GuestArgs a) throws InterruptedException {
      mayBoot.await();
    }

    @Override
    public void resume(GuestMemory m, GuestArgs a) {}

    @Override
    public void step(GuestMemory m) throws InterruptedException {
      Thread.sleep(1);
    }

    @Override
    public void close() {}
  }

  @Test
  void bootedAnswersWhenTheVmHasBootedOrAtItsWaitAndRefusesBadWaits() throws Exception {
    SlowBootProgram program = new SlowBootProgram();
    try (GuestMemory memory = GuestMemory.create(dir.resolve("vm.mem"), 16 << 20)) {
      memory.header().renewLease(Long.MAX_VALUE);
      GuestRuntime runtime = new GuestRuntime(memory, program, () -> 0L);
      Thread loop = new Thread(() -> {
        try {
          runtime.run(false, false, new GuestArgs(Map.of(), "127.0.0.1"));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      loop.start();
      try (ControlServer server = new ControlServer(dir.resolve("vm.sock"), runtime)) {
        VmControlClient client = new VmControlClient(dir.resolve("vm.sock"));
        long t0 = System.nanoTime();
        assertThat(VmControlClient.parseFields(client.call("BOOTED 300", Duration.ofSeconds(5))))
            .as("still booting when the wait ends").containsEntry("state", "BOOTING");
        assertThat((System.nanoTime() - t0) / 1_000_000).as("it waited").isGreaterThanOrEqualTo(250);

        new Thread(() -> {
          try {
            Thread.sleep(200);
          } catch (InterruptedException e) {
            return;
          }
          program.mayBoot.countDown();
        }).start();
        Map<String, String> booted = VmControlClient.parseFields(client.call("BOOTED 9000", Duration.ofSeconds(15)));
        assertThat(booted).containsEntry("state", "RUNNING").containsKey("steps");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.call("BOOTED 999999", Duration.ofSeconds(5)))
            .isInstanceOf(VmOperationException.class).hasMessageContaining("BOOTED waits 0 to");
        client.close();
      } finally {
        program.mayBoot.countDown();
        runtime.stop();
        loop.join(5000);
      }
    }
  }
}
