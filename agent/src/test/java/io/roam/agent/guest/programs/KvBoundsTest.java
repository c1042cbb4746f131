package io.roam.agent.guest.programs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, bounded resources of the kv program against hostile clients, over real sockets: a
 * client that pipelines without reading, too many connections, and a line without an end. In each
 * case the VM's step never throws and the VM goes on serving everybody else.
 */
class KvBoundsTest {
  @TempDir Path dir;

  @Test
  void aClientPipeliningWithoutReadingIsSlowedDownNotCrashingTheVmAndGetsEveryReplyInOrder() throws Exception {
    try (KvHarness vm = KvHarness.boot(dir.resolve("vm.mem"), null, 1, Map.of())) {
      String value = "v".repeat(KvTable.MAX_VALUE);
      assertThat(vm.call("PUT k " + value)).isEqualTo("OK");
      int requests = 50_000; // ~20 MB of replies: more than the socket buffers hold
      String[] hp = vm.program.endpoint().split(":");
      try (Socket flood = new Socket()) {
        flood.setReceiveBufferSize(4096);
        flood.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 2000);
        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
          try {
            OutputStream out = flood.getOutputStream();
            byte[] get = "GET k\n".getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < requests; i++) {
              out.write(get);
            }
            out.flush();
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
        // Step until the VM stopped reading the flood (its writer blocks): no step may throw.
        int stepsWithoutProgress = 0;
        long lastConsumed = -1;
        while (lastConsumed < requests && stepsWithoutProgress < 200) {
          vm.program.step(vm.memory);
          long consumed = vm.program.requestsRead();
          stepsWithoutProgress = consumed == lastConsumed ? stepsWithoutProgress + 1 : 0;
          lastConsumed = consumed;
        }
        assertThat(lastConsumed).as("requests read: the flood is held back, not read into memory").isLessThan(requests);

        // Everybody else is still served.
        assertThat(vm.call("PING")).isEqualTo("PONG");
        assertThat(vm.call("GET k")).isEqualTo("VALUE " + value);

        // Once the flooding client reads, it gets every reply, in order, and the rest of its flood is read.
        CompletableFuture<Integer> replies = CompletableFuture.supplyAsync(() -> {
          try {
            BufferedReader in = new BufferedReader(new InputStreamReader(flood.getInputStream(), StandardCharsets.UTF_8));
            int n = 0;
            while (n < requests) {
              String line = in.readLine();
              if (!("VALUE " + value).equals(line)) {
                throw new AssertionError("reply " + n + ": " + line);
              }
              n++;
            }
            return n;
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!replies.isDone() && System.nanoTime() < deadline) {
          vm.program.step(vm.memory);
        }
        assertThat(replies.get(1, TimeUnit.SECONDS)).isEqualTo(requests);
        sent.get(1, TimeUnit.SECONDS);
      }
      assertThat(vm.call("PING")).isEqualTo("PONG");
    }
  }

  @Test
  void pastTheConnectionCapANewClientIsToldAndClosedAndTheOthersAreStillServed() throws Exception {
    try (KvHarness vm = KvHarness.boot(dir.resolve("vm.mem"), null, 1, Map.of("max-connections", "3"))) {
      List<KvHarness.Client> open = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          KvHarness.Client c = vm.connect();
          open.add(c);
          assertThat(c.call("PUT c" + i + " " + i)).isEqualTo("OK");
        }
        try (KvHarness.Client fourth = vm.connect()) {
          assertThat(fourth.reply()).isEqualTo("ERR too many connections");
          assertThat(fourth.reply()).as("then closed").isNull();
        }
        assertThat(vm.program.handle("GET c3")).isEqualTo("NOTFOUND");
        for (int i = 0; i < 3; i++) {
          assertThat(open.get(i).call("GET c" + i)).isEqualTo("VALUE " + i);
        }
      } finally {
        for (KvHarness.Client c : open) {
          c.close();
        }
      }
      // Closed connections give their places back, once the VM read their end.
      for (int i = 0; i < 5_000 && vm.program.connections() > 0; i++) {
        vm.program.step(vm.memory);
      }
      KvHarness.Client[] again = new KvHarness.Client[3];
      for (int i = 0; i < 3; i++) {
        again[i] = vm.connect();
      }
      for (int i = 0; i < 3; i++) {
        assertThat(again[i].call("GET c" + i)).isEqualTo("VALUE " + i);
        again[i].close();
      }
    }
  }

  @Test
  void aLineLongerThanTheLimitIsAnsweredWithAnErrorAndClosedWithoutApplyingIt() throws Exception {
    try (KvHarness vm = KvHarness.boot(dir.resolve("vm.mem"), null, 1, Map.of())) {
      try (KvHarness.Client c = vm.connect()) {
        assertThat(c.call("PUT before 1")).isEqualTo("OK");
        c.send("PUT long " + "x".repeat(4 * KvProgram.MAX_LINE) + "\nPUT after 1");
        assertThat(c.reply()).isEqualTo("ERR line too long");
        assertThat(c.reply()).as("then closed").isNull();
      }
      assertThat(vm.program.handle("GET long")).isEqualTo("NOTFOUND");
      assertThat(vm.program.handle("GET after")).isEqualTo("NOTFOUND");
      assertThat(vm.call("GET before")).isEqualTo("VALUE 1");
    }
  }
}
