package io.roam.agent.guest.programs;

import static io.roam.agent.guest.programs.KvHarness.diskArgs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.roam.agent.guest.GuestArgs;
import io.roam.agent.guest.GuestRuntime;
import io.roam.agent.memory.GuestMemory;
import io.roam.common.kv.KvClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 9, window 7: exactly-once is bounded by a clear rule and never silently at-least-once; replies are whole. */
class KvSessionsTest {
  private static final long IDLE = KvClient.SESSION_MIN_IDLE.toMillis();
  @TempDir Path dir;

  @Test
  void pastTheSessionTableARetryIsNeverAppliedTwice() throws Exception {
    try (KvHarness vm = KvHarness.boot(dir.resolve("vm.mem"), null, 1, Map.of())) {
      for (long c = 1; c <= KvSessions.SLOTS; c++) {
        assertThat(vm.program.handle("R " + c + " 1 INCR n")).isEqualTo("VALUE " + c);
      }
      // Every slot taken by a client heard from within the idle time: a new client is refused, not served at-least-once.
      assertThat(vm.program.handle("R 5000 1 INCR n")).startsWith("ERR too many sessions");
      assertThat(vm.program.handle("R 5000 1 INCR n")).startsWith("ERR too many sessions");
      assertThat(vm.program.handle("GET n")).isEqualTo("VALUE 1024");
      // Every old client's retry still gets its own reply.
      vm.clock.incrementAndGet();
      assertThat(vm.program.handle("R 1 1 INCR n")).isEqualTo("VALUE 1");
      assertThat(vm.program.handle("R 1024 1 INCR n")).isEqualTo("VALUE 1024");

      // Past the idle time the least recently heard-from session (client 2: client 1 retried later) makes room.
      vm.clock.addAndGet(IDLE);
      assertThat(vm.program.handle("R 5000 1 INCR n")).isEqualTo("VALUE 1025");
      assertThat(vm.program.handle("R 5000 1 INCR n")).isEqualTo("VALUE 1025");
      // The evicted client learns it explicitly; its request is not applied.
      assertThat(vm.program.handle("R 2 2 INCR n")).isEqualTo(KvSessions.EXPIRED);
      assertThat(vm.program.handle("GET n")).isEqualTo("VALUE 1025");
      assertThat(vm.program.handle("R 1 2 INCR n")).isEqualTo("VALUE 1026");
    }
  }

  @Test
  void storedRepliesAreWhole() throws Exception {
    try (KvHarness vm = KvHarness.boot(dir.resolve("vm.mem"), null, 1, Map.of())) {
      String big = "é".repeat(KvTable.MAX_VALUE / 2); // 384 bytes of two-byte characters
      assertThat(vm.program.handle("PUT k " + big)).isEqualTo("OK");
      String first = vm.program.handle("R 9 1 GET k");
      assertThat(first).isEqualTo("VALUE " + big);
      vm.program.handle("PUT k other");
      assertThat(vm.program.handle("R 9 1 GET k")).as("the retry's stored reply").isEqualTo(first);

      String longWord = "X".repeat(1000);
      String unknown = vm.program.handle("R 9 2 " + longWord);
      assertThat(unknown).startsWith("ERR unknown command XXX").hasSizeLessThan(KvSessions.MAX_REPLY);
      assertThat(vm.program.handle("R 9 2 " + longWord)).isEqualTo(unknown);
    }
  }

  @Test
  void sessionsSurviveAFreshBootFromTheDisk() throws Exception {
    Path disk = dir.resolve("vms/shop");
    try (KvHarness vm = KvHarness.boot(dir.resolve("1.mem"), disk, 1, diskArgs())) {
      assertThat(vm.call("R 7 1 INCR n")).isEqualTo("VALUE 1");
    }
    try (KvHarness again = KvHarness.boot(dir.resolve("2.mem"), disk, 2, diskArgs())) {
      assertThat(again.call("R 7 1 INCR n")).as("a retry after failover").isEqualTo("VALUE 1");
      assertThat(again.call("R 7 2 INCR n")).isEqualTo("VALUE 2");
      assertThat(again.call("R 8 5 INCR n")).isEqualTo(KvSessions.EXPIRED);
    }
  }

  @Test
  void theClientStartsANewSessionWhenItsOldOneExpired() throws Exception {
    AtomicReference<String> endpoint = new AtomicReference<>();
    Running first = Running.start(dir.resolve("1.mem"), endpoint);
    try (KvClient client = new KvClient(endpoint::get, Duration.ofSeconds(10))) {
      client.put("a", "1");
      assertThat(client.increment("n")).isEqualTo(1);
      first.stop();
      // The VM came back without its memory (no disk): it knows nothing of this client's session.
      Running second = Running.start(dir.resolve("2.mem"), endpoint);
      try {
        assertThat(client.increment("n")).isEqualTo(1);
        assertThat(client.increment("n")).isEqualTo(2);
        assertThat(client.get("a")).isEmpty();
      } finally {
        second.stop();
      }
    }
  }

  /** A kv VM on its own runtime thread, as in a VM process. */
  private record Running(GuestRuntime runtime, Thread thread, GuestMemory memory) {
    static Running start(Path memoryFile, AtomicReference<String> endpoint) throws Exception {
      GuestMemory m = GuestMemory.create(memoryFile, 16 << 20);
      m.header().renewLease(Long.MAX_VALUE);
      KvProgram p = new KvProgram();
      GuestRuntime r = new GuestRuntime(m, p, System::currentTimeMillis);
      Thread t = new Thread(() -> {
        try {
          r.run(false, new GuestArgs(Map.of(), "127.0.0.1"));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      t.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> p.endpoint() != null && r.state() == GuestRuntime.State.RUNNING);
      endpoint.set(p.endpoint());
      return new Running(r, t, m);
    }

    void stop() throws InterruptedException {
      runtime.stop();
      thread.join(10_000);
      memory.close();
    }
  }
}
