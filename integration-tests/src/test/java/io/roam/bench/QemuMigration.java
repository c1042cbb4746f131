package io.roam.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * QEMU's own live migration on this machine, the yardstick of issue 12: an idle guest (no disk, no
 * kernel: the firmware finds nothing to boot and idles) whose RAM is a file on /dev/shm filled with
 * random bytes beforehand, so that every page is sent as in Roam's idle VM; the destination started
 * beforehand with {@code -incoming} and its memory preallocated, as QEMU users prepare one; the
 * migration driven over QMP with the bandwidth cap lifted. TCG (the machine has no KVM), which
 * matters little: an idle guest barely runs.
 *
 * <p>Times: QEMU's own {@code total-time}, {@code downtime}, {@code setup-time} and {@code mbps} from
 * {@code query-migrate}, and the wall time from the {@code migrate} command to the destination
 * reporting {@code running} (what Roam's total counts: request to the VM running on the destination).
 *
 * <p>Not thread-safe; one migration at a time.
 */
final class QemuMigration implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String BINARY = "qemu-system-x86_64";

  /** One migration's figures; times in milliseconds, rate in bytes per second. */
  record Result(long sizeBytes, double wallTotalMs, double totalMs, double downtimeMs, double setupMs,
      long transferredBytes, double throughputBytesPerSecond) {}

  private final Path dir;
  private final long size;
  private final Path sourceRam;
  /** What QEMU's max-bandwidth was before this benchmark lifted it (bytes per second). */
  private long defaultMaxBandwidth = -1;

  /** The binary's path, or null when QEMU is not installed. */
  static Path binary() {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
      Path p = Path.of(d, BINARY);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  static String version() {
    try {
      Process p = new ProcessBuilder(BINARY, "--version").redirectErrorStream(true).start();
      String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("");
      p.waitFor();
      return first.replace("QEMU emulator version ", "QEMU ");
    } catch (IOException e) {
      return "QEMU (version unknown)";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "QEMU (version unknown)";
    }
  }

  /** Prepares a guest RAM file of {@code size} bytes filled with random bytes, on tmpfs. */
  QemuMigration(long size) throws IOException {
    this.size = size;
    this.dir = Files.createTempDirectory(Path.of("/dev/shm"), "roam-bench-qemu");
    this.sourceRam = dir.resolve("source.ram");
    fillRandom(sourceRam, size);
  }

  static void fillRandom(Path file, long size) throws IOException {
    SplittableRandom random = new SplittableRandom(size);
    ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      for (long at = 0; at < size; at += chunk.capacity()) {
        chunk.clear();
        while (chunk.hasRemaining()) {
          chunk.putLong(random.nextLong());
        }
        chunk.flip();
        while (chunk.hasRemaining()) {
          ch.write(chunk);
        }
      }
    }
  }

  long defaultMaxBandwidth() {
    return defaultMaxBandwidth;
  }

  /** One migration: a fresh destination started and prepared first (not timed), then the move. */
  Result migrate() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path destRam = dir.resolve("destination.ram");
    Files.deleteIfExists(destRam);
    Process dst = start(destRam, dir.resolve("dst.qmp"), true, "-incoming", "tcp:127.0.0.1:" + port);
    Process src = null;
    try (Qmp dq = Qmp.connect(dir.resolve("dst.qmp"), dst)) {
      src = start(sourceRam, dir.resolve("src.qmp"), false);
      try (Qmp sq = Qmp.connect(dir.resolve("src.qmp"), src)) {
        if (defaultMaxBandwidth < 0) {
          defaultMaxBandwidth = sq.execute("query-migrate-parameters", null).path("max-bandwidth").asLong();
        }
        ObjectNode unlimited = JSON.createObjectNode().put("max-bandwidth", 1L << 40);
        sq.execute("migrate-set-parameters", unlimited);
        long t0 = System.nanoTime();
        sq.execute("migrate", JSON.createObjectNode().put("uri", "tcp:127.0.0.1:" + port));
        long runningAt;
        while (true) {
          if (dq.execute("query-status", null).path("status").asText().equals("running")) {
            runningAt = System.nanoTime();
            break;
          }
          String status = sq.execute("query-migrate", null).path("status").asText();
          if (status.equals("failed") || status.equals("cancelled")) {
            throw new IllegalStateException("QEMU migration " + status);
          }
          Thread.sleep(2);
        }
        JsonNode m;
        do {
          m = sq.execute("query-migrate", null);
        } while (!m.path("status").asText().equals("completed") && sleep());
        return new Result(size, (runningAt - t0) / 1e6, m.path("total-time").asDouble(), m.path("downtime").asDouble(),
            m.path("setup-time").asDouble(), m.path("ram").path("transferred").asLong(),
            m.path("ram").path("mbps").asDouble() * 1e6 / 8);
      }
    } finally {
      stop(src);
      stop(dst);
      Files.deleteIfExists(destRam);
    }
  }

  private static boolean sleep() throws InterruptedException {
    Thread.sleep(2);
    return true;
  }

  private Process start(Path ram, Path qmp, boolean prealloc, String... extra) throws IOException {
    Files.deleteIfExists(qmp);
    List<String> cmd = new ArrayList<>(List.of(BINARY, "-machine", "pc,accel=tcg,memory-backend=m", "-m",
        size / (1 << 20) + "M", "-object", "memory-backend-file,id=m,size=" + size + ",mem-path=" + ram + ",share=on"
            + (prealloc ? ",prealloc=on" : ""),
        "-nodefaults", "-display", "none", "-serial", "none", "-qmp", "unix:" + qmp + ",server=on,wait=off"));
    cmd.addAll(List.of(extra));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile()).start();
  }

  private static void stop(Process p) throws InterruptedException {
    if (p != null) {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
      }
    }
  }

  @Override
  public void close() throws IOException {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(dir);
  }

  /** A QMP session: one command at a time, events skipped. */
  private static final class Qmp implements AutoCloseable {
    private final SocketChannel ch;
    private final BufferedReader in;
    private final OutputStream out;

    private Qmp(SocketChannel ch) {
      this.ch = ch;
      this.in = new BufferedReader(Channels.newReader(ch, StandardCharsets.UTF_8));
      this.out = Channels.newOutputStream(ch);
    }

    /** Connects once QEMU listens (a preallocating destination takes a while), and negotiates. */
    static Qmp connect(Path socket, Process qemu) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (true) {
        if (!qemu.isAlive()) {
          throw new IllegalStateException("QEMU exited with " + qemu.exitValue() + " before its QMP socket was up");
        }
        try {
          SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
          ch.connect(UnixDomainSocketAddress.of(socket));
          Qmp q = new Qmp(ch);
          q.in.readLine(); // greeting
          q.execute("qmp_capabilities", null);
          return q;
        } catch (IOException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(20);
        }
      }
    }

    JsonNode execute(String command, JsonNode arguments) throws IOException {
      ObjectNode req = JSON.createObjectNode().put("execute", command);
      if (arguments != null) {
        req.set("arguments", arguments);
      }
      out.write((JSON.writeValueAsString(req) + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (true) {
        String line = in.readLine();
        if (line == null) {
          throw new IOException("QMP closed during " + command);
        }
        JsonNode r = JSON.readTree(line);
        if (r.has("error")) {
          throw new IOException("QMP " + command + ": " + r.path("error").path("desc").asText());
        }
        if (r.has("return")) {
          return r.path("return");
        }
        // an event: skip
      }
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }
}
