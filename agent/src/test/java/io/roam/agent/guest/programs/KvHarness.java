package io.roam.agent.guest.programs;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.agent.guest.GuestArgs;
import io.roam.agent.memory.GuestMemory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One copy of a kv VM driven step by step from the test thread (no runtime thread): its own guest
 * memory and clock, a disk directory that several copies may share, and blocking clients.
 */
final class KvHarness implements AutoCloseable {
  static final long LEASE_UNTIL = 1_000_000;
  final AtomicLong clock = new AtomicLong(1_000);
  final GuestMemory memory;
  final KvProgram program = new KvProgram(clock::get);
  final Path disk;

  private KvHarness(GuestMemory memory, Path disk) {
    this.memory = memory;
    this.disk = disk;
    memory.header().renewLease(LEASE_UNTIL);
  }

  static Map<String, String> diskArgs(String... more) {
    Map<String, String> a = new HashMap<>();
    a.put("disk", "on");
    for (int i = 0; i + 1 < more.length; i += 2) {
      a.put(more[i], more[i + 1]);
    }
    return a;
  }

  /** A fresh boot of the VM on {@code disk} under owner epoch {@code epoch}. */
  static KvHarness boot(Path memoryFile, Path disk, long epoch, Map<String, String> args) throws IOException {
    KvHarness h = new KvHarness(GuestMemory.create(memoryFile, 16 << 20), disk);
    h.program.boot(h.memory, new GuestArgs(args, "127.0.0.1", disk, epoch));
    return h;
  }

  /** The destination of a migration: the memory arrived (a copy of the source's), resumed under {@code epoch}. */
  static KvHarness resume(Path memoryFile, Path disk, long epoch, Map<String, String> args) throws IOException {
    KvHarness h = new KvHarness(GuestMemory.open(memoryFile), disk);
    h.program.resume(h.memory, new GuestArgs(args, "127.0.0.1", disk, epoch));
    return h;
  }

  void expireLease() {
    clock.set(LEASE_UNTIL + 1);
  }

  Client connect() throws IOException {
    String[] hp = program.endpoint().split(":");
    Socket s = new Socket();
    s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 2000);
    s.setSoTimeout(2);
    return new Client(s, this);
  }

  /** Sends one request and steps until its reply comes (or the VM closes the connection: null). */
  String call(String request) throws IOException {
    try (Client c = connect()) {
      return c.call(request);
    }
  }

  @Override
  public void close() throws Exception {
    program.close();
    memory.close();
  }

  static final class Client implements AutoCloseable {
    private final Socket socket;
    private final KvHarness vm;
    private final InputStream in;
    private final OutputStream out;

    Client(Socket socket, KvHarness vm) throws IOException {
      this.socket = socket;
      this.vm = vm;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    void send(String request) throws IOException {
      out.write((request + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
    }

    String call(String request) throws IOException {
      send(request);
      return reply();
    }

    /** Steps the VM until a whole reply line arrived; null when the VM closed the connection. */
    String reply() throws IOException {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < 5_000; i++) {
        vm.program.step(vm.memory);
        try {
          int b;
          while ((b = in.read()) >= 0) {
            if (b == '\n') {
              return new String(line.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            }
            line.append((char) b);
          }
          return null; // closed
        } catch (SocketTimeoutException e) {
          // nothing yet: step again
        } catch (java.net.SocketException e) {
          return null; // reset by the VM
        }
      }
      throw new AssertionError("no reply after 5000 steps");
    }

    /** Steps the VM {@code steps} times; a whole reply line that arrived meanwhile, or null if none did. */
    String replyWithin(int steps) throws IOException {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < steps; i++) {
        vm.program.step(vm.memory);
        try {
          int b;
          while ((b = in.read()) >= 0) {
            if (b == '\n') {
              return line.toString();
            }
            line.append((char) b);
          }
          throw new AssertionError("the VM closed the connection");
        } catch (SocketTimeoutException e) {
          // nothing (more) yet
        }
      }
      assertThat(line).as("a reply cut in the middle").isEmpty();
      return null;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
