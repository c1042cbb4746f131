package io.roam.agent.guest.programs;

import io.roam.agent.guest.OutputCommit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * One kv client's buffers, and the bounds that keep any client, however hostile, to a fixed cost
 * in the VM's heap: at most {@link #IN_CAPACITY} bytes of unread request and {@link #OUT_CAPACITY}
 * bytes of unsent replies.
 *
 * <p>A request is taken from the input only when its reply is sure to fit in the output next to
 * the replies still owed ({@link KvCommands#MAX_REPLY} bytes reserved per request). A client that
 * pipelines without reading its replies therefore fills the output, then the input, and then the
 * VM simply stops reading from it (TCP pushes back on the client) until it reads; nothing is
 * dropped, nothing overflows. A line that does not fit in the input is an error: the client gets
 * {@code ERR line too long} and the connection is closed.
 *
 * <p>Under FT, replies wait in the output until the checkpoint that holds their effects is
 * acknowledged by the secondary ({@link OutputCommit}): only bytes before {@link #sendable} are
 * sent; held replies keep their room, so a client waiting for them is pushed back as above.
 *
 * <p>Thread-safety: none; the VM's runtime thread only.
 */
final class KvConnection {
  /** One request line, its newline included. */
  static final int IN_CAPACITY = KvProgram.MAX_LINE + 1;
  /** Room for 32 worst-case replies: enough pipelining to keep a client busy, little heap per connection. */
  static final int OUT_CAPACITY = 32 * (KvCommands.MAX_REPLY + 1);
  static final String LINE_TOO_LONG = "ERR line too long";

  /** Write mode: bytes [0, position) were read and not yet taken as requests. */
  final ByteBuffer in = ByteBuffer.allocate(IN_CAPACITY);
  /** Write mode: bytes [0, position) are replies not yet sent. */
  final ByteBuffer out = ByteBuffer.allocate(OUT_CAPACITY);
  /** Requests taken whose reply is not in {@link #out} yet: each holds a worst-case reply's room. */
  private int owed;
  /** Bytes of {@link #in} already searched for a newline (none there). */
  private int scanned;
  /** After an error: input is read and thrown away, replies are sent, then the connection closes. */
  private boolean closing;
  /** The error line of {@link #closeWith}, not queued yet. */
  private byte[] pendingError;
  /** The output was shut down after {@link #doneSending}. */
  boolean outputShut;
  /** Output commit under FT; null: never held. */
  private final OutputCommit gate;
  /** Bytes of {@link #out} from 0 that may be sent now; the rest waits for its checkpoint. */
  private int sendable;
  /** Held output in order: {end offset in out, checkpoint tag}, one entry per tag. */
  private final ArrayDeque<long[]> held = new ArrayDeque<>();

  KvConnection() {
    this(null);
  }

  KvConnection(OutputCommit gate) {
    this.gate = gate;
  }

  /** The next whole request line, if there is one and its reply is sure to fit; null otherwise. */
  String takeRequest() {
    if (closing || !roomForOneMoreReply()) {
      return null;
    }
    int end = newline();
    if (end < 0) {
      return null;
    }
    byte[] line = new byte[end];
    in.get(0, line);
    in.flip().position(end + 1);
    in.compact();
    scanned = 0;
    owed++;
    return new String(line, StandardCharsets.UTF_8).strip();
  }

  /** Whether a request is waiting that {@link #takeRequest} would return now. */
  boolean hasRequestToTake() {
    return !closing && roomForOneMoreReply() && newline() >= 0;
  }

  /** The input is full and holds no newline: the client sent a line longer than the limit. */
  boolean lineTooLong() {
    return !closing && !in.hasRemaining() && newline() < 0;
  }

  /** Queues the reply to a request {@link #takeRequest} returned, in the order they were taken. */
  void reply(String reply) {
    byte[] b = (reply + "\n").getBytes(StandardCharsets.UTF_8);
    if (b.length > KvCommands.MAX_REPLY + 1) {
      // KvCommands promises this never happens; a reply cut short is still better than a crash.
      b = ("ERR reply of " + b.length + " bytes exceeds " + KvCommands.MAX_REPLY + "\n").getBytes(StandardCharsets.UTF_8);
    }
    owed--;
    out.put(b);
    queued();
  }

  /** Records that {@link #out} grew to its position: sendable now, or held with the current checkpoint's tag. */
  private void queued() {
    long tag = gate == null ? 0 : gate.tagForNewOutput();
    if (tag == 0 && held.isEmpty()) {
      sendable = out.position();
      return;
    }
    long[] last = held.peekLast();
    if (last != null && last[1] == tag) {
      last[0] = out.position();
    } else {
      held.addLast(new long[] {out.position(), tag});
    }
  }

  /** Lets go of held output whose checkpoint was acknowledged (or whose holding ended). */
  private void release() {
    while (!held.isEmpty() && gate.released(held.peekFirst()[1])) {
      sendable = (int) held.pollFirst()[0];
    }
  }

  /** Whether replies are held for a checkpoint not yet acknowledged. */
  boolean holdsOutput() {
    return !held.isEmpty();
  }

  /** Writes what may leave now to {@code c}, as much as the socket takes. */
  void send(SocketChannel c) throws IOException {
    release();
    if (sendable == 0) {
      return;
    }
    out.flip();
    int end = out.limit();
    out.limit(sendable);
    c.write(out);
    int sent = out.position();
    out.limit(end);
    out.compact();
    sendable -= sent;
    for (long[] h : held) {
      h[0] -= sent;
    }
  }

  /**
   * Stops taking requests: the replies owed so far are still sent, then {@code error}, and the
   * connection is closed once its output drained. Input from then on is read and thrown away.
   */
  void closeWith(String error) {
    pendingError = (error + "\n").getBytes(StandardCharsets.UTF_8);
    closing = true;
  }

  /** Puts the error of {@link #closeWith} after the owed replies, once they are queued and it fits. */
  void queueError() {
    if (pendingError != null && owed == 0 && out.remaining() >= pendingError.length) {
      out.put(pendingError);
      pendingError = null;
      queued();
    }
  }

  /** Closing, and everything to send (the error included) was sent: time to end the output. */
  boolean doneSending() {
    return closing && pendingError == null && out.position() == 0;
  }

  boolean closing() {
    return closing;
  }

  /** Whether reading from the client may go on: there is room in the input (or it is thrown away). */
  boolean wantsToRead() {
    return closing || in.hasRemaining();
  }

  /** Replies that may be sent now are waiting for the socket. */
  boolean hasSendableReplies() {
    if (gate != null) {
      release();
    }
    return sendable > 0;
  }

  private boolean roomForOneMoreReply() {
    return out.remaining() - (long) (owed + 1) * (KvCommands.MAX_REPLY + 1) >= 0;
  }

  /** Index of the first newline in the input, or -1; remembers how far it looked. */
  private int newline() {
    for (int i = scanned; i < in.position(); i++) {
      if (in.get(i) == '\n') {
        return i;
      }
    }
    scanned = in.position();
    return -1;
  }
}
