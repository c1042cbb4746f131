package io.roam.agent.guest.programs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Issue 10, property-based: whatever bytes a client sends a kv VM (over a real socket), the VM
 * answers with replies of bounded size (ERR for what it does not understand) or closes the
 * connection; its step never throws, and it goes on serving.
 */
class KvProtocolFuzzTest {
  private static Path dir;
  private static KvHarness vm;

  @BeforeContainer
  static void boot() throws Exception {
    dir = Files.createTempDirectory("kv-fuzz");
    vm = KvHarness.boot(dir.resolve("vm.mem"), null, 1, Map.of());
  }

  @AfterContainer
  static void close() throws Exception {
    vm.close();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Property(tries = 300)
  void anyBytesGetBoundedRepliesOrACloseAndTheVmGoesOn(@ForAll("requests") byte[] bytes) throws Exception {
    String[] hp = vm.program.endpoint().split(":");
    byte[] received;
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 2000);
      s.setSoTimeout(2);
      s.getOutputStream().write(bytes);
      s.shutdownOutput(); // then the VM answers what it read and closes its side
      received = readUntilClosed(s);
    }
    for (String reply : new String(received, StandardCharsets.UTF_8).split("\n")) {
      assertThat(reply.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(KvCommands.MAX_REPLY);
    }
    assertThat(vm.call("PING")).isEqualTo("PONG");
  }

  private static byte[] readUntilClosed(Socket s) throws Exception {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[8192];
    for (int i = 0; i < 20_000; i++) {
      vm.program.step(vm.memory); // must never throw
      try {
        int n = in.read(buf);
        if (n < 0) {
          return got.toByteArray();
        }
        got.write(buf, 0, n);
      } catch (SocketTimeoutException e) {
        // nothing yet
      } catch (java.net.SocketException e) {
        return got.toByteArray(); // reset by the VM: a close
      }
    }
    throw new AssertionError("the VM neither answered everything nor closed the connection");
  }

  /** Protocol-shaped lines (real commands with odd arguments) mixed with arbitrary bytes. */
  @Provide
  Arbitrary<byte[]> requests() {
    Arbitrary<String> word = Arbitraries.oneOf(Arbitraries.of("PUT", "GET", "DEL", "INCR", "PING", "R", "put", ""),
        Arbitraries.strings().ofMaxLength(8));
    Arbitrary<String> arg = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(20),
        Arbitraries.of("0", "-1", "1", "9223372036854775807", "99999999999999999999", "k"),
        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(100).ofMaxLength(1500));
    Arbitrary<String> line = net.jqwik.api.Combinators.combine(word, arg.list().ofMaxSize(4))
        .as((w, a) -> w + (a.isEmpty() ? "" : " " + String.join(" ", a)));
    Arbitrary<byte[]> lines = line.list().ofMaxSize(20)
        .map(l -> (String.join("\n", l) + "\n").getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> noise = Arbitraries.bytes().array(byte[].class).ofMaxSize(3000);
    return Arbitraries.oneOf(lines, noise);
  }
}
