package io.roam.common.kv;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A client of the {@code kv} guest program. It finds the VM's current endpoint through {@code
 * endpointLookup} (the master or ZooKeeper), and when a connection fails it looks the endpoint up
 * again and retries until {@code retryFor} has passed, so it follows the VM when it moves.
 *
 * <p>Not thread-safe: one client per thread.
 */
public final class KvClient implements AutoCloseable {
  /**
   * The VM keeps a client's session (its last request number and reply) at least this long after
   * it last heard from the client; a client never retries one request for longer, so a retry always
   * finds its session. (The kv program evicts idle sessions only past this, see KvSessions.)
   */
  public static final Duration SESSION_MIN_IDLE = Duration.ofMinutes(5);
  /** The VM's answer to a request whose session it no longer has: the request was not applied. */
  public static final String SESSION_EXPIRED = "ERR session expired";

  private static final java.security.SecureRandom IDS = new java.security.SecureRandom();
  private final Supplier<String> endpointLookup;
  private final Duration retryFor;
  /** Requests are numbered per client session so that the VM applies a retried one only once. */
  private long clientId = newClientId();
  private long seq;
  private String connectedTo;
  private Socket socket;
  private BufferedReader in;
  private OutputStream out;

  public KvClient(Supplier<String> endpointLookup, Duration retryFor) {
    if (retryFor.compareTo(SESSION_MIN_IDLE) >= 0) {
      throw new IllegalArgumentException("retryFor must be shorter than " + SESSION_MIN_IDLE.toMinutes()
          + " minutes, how long the VM keeps an idle client's session");
    }
    this.endpointLookup = endpointLookup;
    this.retryFor = retryFor;
  }

  public void put(String key, String value) throws IOException {
    checkToken(key, "key");
    if (value.contains("\n")) {
      throw new IllegalArgumentException("value must not contain a newline");
    }
    String reply = call("PUT " + key + " " + value);
    if (!reply.equals("OK")) {
      throw new KvException(reply);
    }
  }

  public Optional<String> get(String key) throws IOException {
    checkToken(key, "key");
    String reply = call("GET " + key);
    if (reply.equals("NOTFOUND")) {
      return Optional.empty();
    }
    if (reply.startsWith("VALUE ")) {
      return Optional.of(reply.substring(6));
    }
    throw new KvException(reply);
  }

  /** Adds one to a counter and returns the new value; applied exactly once even when retried. */
  public long increment(String key) throws IOException {
    checkToken(key, "key");
    String reply = call("INCR " + key);
    if (reply.startsWith("VALUE ")) {
      return Long.parseLong(reply.substring(6));
    }
    throw new KvException(reply);
  }

  /** The endpoint of the current connection (null when not connected). */
  public String endpoint() {
    return connectedTo;
  }

  /** Returns whether the key existed. */
  public boolean delete(String key) throws IOException {
    checkToken(key, "key");
    String reply = call("DEL " + key);
    if (reply.equals("OK") || reply.equals("NOTFOUND")) {
      return reply.equals("OK");
    }
    throw new KvException(reply);
  }

  /**
   * Sends one request, reconnecting while the VM is unreachable (it may have moved). The request
   * carries this client's id and a number; a retry sends the same number, and the VM, which keeps
   * the last number and reply per client in guest memory, answers it without applying it again.
   *
   * <p>When the VM answers {@code ERR session expired}, it no longer knows this client (it evicted
   * the session after {@link #SESSION_MIN_IDLE} of silence, or lost its memory) and did not apply
   * the request. Since every attempt of this request was within {@code retryFor}, shorter than
   * that, no earlier attempt was applied either: the client starts a new session and sends the
   * request again as its number 1.
   */
  private String call(String command) throws IOException {
    String request = "R " + clientId + " " + (++seq) + " " + command;
    long deadline = System.nanoTime() + retryFor.toNanos();
    IOException last = null;
    do {
      try {
        ensureConnected();
        out.write((request + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        String reply = in.readLine();
        if (reply == null) {
          throw new IOException("connection closed by the VM");
        }
        if (reply.equals(SESSION_EXPIRED) && seq != 1) {
          clientId = newClientId();
          seq = 1;
          request = "R " + clientId + " " + seq + " " + command;
          last = new KvException(reply);
          continue;
        }
        return reply;
      } catch (IOException e) {
        last = e;
        disconnect();
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", ie);
        }
      }
    } while (System.nanoTime() < deadline);
    throw last;
  }

  private static long newClientId() {
    return IDS.nextLong() | 1;
  }

  private void ensureConnected() throws IOException {
    if (socket != null) {
      return;
    }
    String endpoint = endpointLookup.get();
    if (endpoint == null || endpoint.isEmpty()) {
      throw new IOException("the VM has no endpoint (is it running?)");
    }
    int colon = endpoint.lastIndexOf(':');
    if (colon <= 0) {
      throw new IOException("malformed endpoint '" + endpoint + "'");
    }
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1))), 2000);
      s.setSoTimeout(5000);
      s.setTcpNoDelay(true);
    } catch (IOException | NumberFormatException e) {
      s.close();
      throw e instanceof IOException io ? io : new IOException("malformed endpoint '" + endpoint + "'");
    }
    socket = s;
    connectedTo = endpoint;
    in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
    out = s.getOutputStream();
  }

  private void disconnect() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // already broken
      }
    }
    socket = null;
    connectedTo = null;
  }

  private static void checkToken(String s, String what) {
    if (s.isEmpty() || s.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException(what + " must be non-empty and contain no spaces");
    }
  }

  @Override
  public void close() {
    disconnect();
  }

  /** The VM answered with an error. */
  public static final class KvException extends IOException {
    public KvException(String reply) {
      super(reply.startsWith("ERR ") ? reply.substring(4) : "unexpected reply: " + reply);
    }
  }
}
