package io.roam.agent.vm;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The agent's end of a VM's control channel (see {@code ControlServer} for the commands). Every
 * call has a deadline: a frozen VM must not hang the agent. After a timeout the connection is
 * dropped, so a late reply can never be taken for the answer to a later command.
 *
 * <p>Thread-safety: calls are serialized.
 */
public final class VmControlClient implements AutoCloseable {
  private final Path socket;
  private SocketChannel channel;
  private Selector selector;

  public VmControlClient(Path socket) {
    this.socket = socket;
  }

  /** Sends one command and returns the text after "OK ", or throws with the VM's "ERR" reason. */
  public synchronized String call(String command, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      ensureConnected();
      ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
      while (out.hasRemaining()) {
        channel.write(out);
      }
      ByteBuffer in = ByteBuffer.allocate(4096);
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IOException("VM did not answer " + command + " within " + timeout.toMillis() + " ms");
        }
        selector.select(Math.max(1, left / 1_000_000));
        selector.selectedKeys().clear();
        if (channel.read(in) < 0) {
          throw new IOException("VM closed its control channel");
        }
        int len = in.position();
        if (len > 0 && in.get(len - 1) == '\n') {
          String reply = new String(in.array(), 0, len - 1, StandardCharsets.UTF_8);
          if (reply.startsWith("OK")) {
            return reply.length() > 3 ? reply.substring(3) : "";
          }
          throw new VmOperationException(VmOperationException.Kind.BAD_STATE, "VM refused " + command + ": "
              + (reply.startsWith("ERR ") ? reply.substring(4) : reply));
        }
        if (!in.hasRemaining()) {
          throw new IOException("reply to " + command + " is too long");
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!(e instanceof VmOperationException)) {
        disconnect();
      }
      throw e;
    }
  }

  /** Parses a {@code key=value ...} reply, as STATS gives. */
  public static Map<String, String> parseFields(String reply) {
    Map<String, String> m = new HashMap<>();
    for (String part : reply.trim().split("\\s+")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        m.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    return m;
  }

  private void ensureConnected() throws IOException {
    if (channel != null) {
      return;
    }
    SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      c.connect(UnixDomainSocketAddress.of(socket));
      c.configureBlocking(false);
      Selector s = Selector.open();
      c.register(s, SelectionKey.OP_READ);
      channel = c;
      selector = s;
    } catch (IOException e) {
      c.close();
      throw e;
    }
  }

  private void disconnect() {
    try {
      if (selector != null) {
        selector.close();
      }
      if (channel != null) {
        channel.close();
      }
    } catch (IOException ignored) {
      // nothing to do
    }
    channel = null;
    selector = null;
  }

  @Override
  public synchronized void close() {
    disconnect();
  }
}
