package io.roam.agent.guest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The VM's end of its control channel: a Unix domain socket that the agent connects to. One text
 * line per command, one line per reply ({@code OK ...} or {@code ERR reason}):
 *
 * <pre>
 * PAUSE            -> OK paused      (only once at a safe point)
 * RESUME           -> OK running
 * THROTTLE n       -> OK throttle=n  (n in 0..99: share of time slept between steps)
 * STATS            -> OK state=.. steps=.. cpuNanos=.. cpuWaitNanos=.. heartbeat=.. throttle=.. [endpoint=host:port]
 * BOOTED ms        -> as STATS, once the VM has left BOOTING or after ms at most (the agent's wait
 *                     for a start, without polling)
 * STOP             -> OK stopping    (the process exits after the step in progress and close())
 * GO [epoch]       -> OK state=RUNNING [endpoint=host:port]
 *                                    (a WAITING VM, the destination of a migration, resumes its program
 *                                     under the given owner epoch; the reply comes once it has, and names
 *                                     what the agent would otherwise ask STATS for inside the pause)
 * </pre>
 */
public final class ControlServer implements AutoCloseable {
  static final Duration PAUSE_TIMEOUT = Duration.ofSeconds(10);

  private final Path socket;
  private final GuestRuntime runtime;
  private final ServerSocketChannel server;

  public ControlServer(Path socket, GuestRuntime runtime) throws IOException {
    this.socket = socket;
    this.runtime = runtime;
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread t = new Thread(new AcceptLoop(), "control-accept");
    t.setDaemon(true);
    t.start();
  }

  /** Classes, not lambdas: the control server starts with every VM, where start-up CPU counts. */
  private final class AcceptLoop implements Runnable {
    @Override
    public void run() {
      while (server.isOpen()) {
        try {
          Thread t = new Thread(new Connection(server.accept()), "control-conn");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return; // closed
        }
      }
    }
  }

  private final class Connection implements Runnable {
    private final SocketChannel channel;

    Connection(SocketChannel channel) {
      this.channel = channel;
    }

    @Override
    public void run() {
      serve(channel);
    }
  }

  private void serve(SocketChannel c) {
    try (c;
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
        OutputStream out = Channels.newOutputStream(c)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.write((handle(line.trim()) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (IOException e) {
      // The agent went away; it reconnects when it needs to.
    }
  }

  String handle(String line) {
    String[] parts = line.split("\\s+");
    try {
      switch (parts[0]) {
        case "PAUSE" -> {
          runtime.pause(PAUSE_TIMEOUT);
          return "OK paused";
        }
        case "RESUME" -> {
          runtime.resume();
          return "OK running";
        }
        case "THROTTLE" -> {
          if (parts.length != 2) {
            return "ERR usage: THROTTLE percent";
          }
          int p = Integer.parseInt(parts[1]);
          runtime.throttle(p);
          return "OK throttle=" + p;
        }
        case "BOOTED" -> {
          // BOOTED ms: answers as STATS once the runtime has left BOOTING, or after ms at most.
          if (parts.length != 2) {
            return "ERR usage: BOOTED milliseconds";
          }
          long ms = Long.parseLong(parts[1]);
          if (ms < 0 || ms > PAUSE_TIMEOUT.toMillis()) {
            return "ERR BOOTED waits 0 to " + PAUSE_TIMEOUT.toMillis() + " ms";
          }
          runtime.awaitBooted(Duration.ofMillis(ms));
          return handle("STATS");
        }
        case "STATS" -> {
          GuestRuntime.Stats s = runtime.stats();
          return "OK state=" + s.state() + " steps=" + s.steps() + " cpuNanos=" + s.cpuNanos() + " cpuWaitNanos="
              + s.cpuWaitNanos() + " heartbeat=" + s.heartbeat()
              + " throttle=" + s.throttlePercent() + (s.endpoint() == null ? "" : " endpoint=" + s.endpoint());
        }
        case "GO" -> {
          if (parts.length > 2) {
            return "ERR usage: GO [owner-epoch]";
          }
          GuestRuntime.State s = runtime.go(PAUSE_TIMEOUT, parts.length == 2 ? Long.parseLong(parts[1]) : 0);
          if (s == GuestRuntime.State.WAITING || s == GuestRuntime.State.BOOTING) {
            return "ERR still " + s;
          }
          String endpoint = runtime.endpoint();
          return "OK state=" + s + (endpoint == null ? "" : " endpoint=" + endpoint);
        }
        case "STOP" -> {
          runtime.stop();
          return "OK stopping";
        }
        default -> {
          return "ERR unknown command " + parts[0];
        }
      }
    } catch (NumberFormatException e) {
      return "ERR not a number: " + e.getMessage();
    } catch (IllegalArgumentException | IllegalStateException e) {
      return "ERR " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "ERR interrupted";
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    Files.deleteIfExists(socket);
  }
}
