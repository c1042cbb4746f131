package io.roam.agent.guest.programs;

import io.roam.agent.guest.GuestArgs;
import io.roam.agent.guest.GuestProgram;
import io.roam.agent.memory.GuestMemory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A key-value server whose table lives in guest memory ({@link KvTable}). It serves a line
 * protocol over TCP on the host's address (argument {@code port}, default 0 = any free port):
 *
 * <pre>
 * PUT key value   -> OK | ERR reason
 * GET key         -> VALUE value | NOTFOUND
 * DEL key         -> OK | NOTFOUND
 * INCR key        -> VALUE n         (a counter; a missing key counts as 0)
 * PING            -> PONG
 * R client seq COMMAND...            (any command, numbered per client: a retry of the last
 *                                     number gets the stored reply and is not applied twice)
 * </pre>
 *
 * Requests are handled inside {@link #step}, so a reply is written only after the request was
 * applied to guest memory: an acknowledged PUT is in memory, and a pause never sees half of one.
 *
 * <p>With {@code disk=on} the VM also has a disk on the datastore: every request that changes
 * something is first appended to a write-ahead log there ({@link KvWal}, forced to disk once per
 * step for all the requests of that step), and a fresh boot replays it, so no acknowledged write is
 * lost when the VM's host dies and HA boots it elsewhere.
 */
public final class KvProgram implements GuestProgram {
  private static final int MAX_LINE = 1024;

  private KvTable table;
  private KvWal wal;
  private Selector selector;
  private ServerSocketChannel server;
  private String endpoint;

  @Override
  public void boot(GuestMemory memory, GuestArgs args) throws IOException {
    table = KvTable.format(memory);
    java.nio.file.Path log = walFile(args);
    if (log != null) {
      KvWal.replay(log, new Replay());
      wal = KvWal.open(log);
    }
    listen(args);
  }

  /** The write-ahead log's file when {@code disk=on}, else null. */
  private static java.nio.file.Path walFile(GuestArgs args) {
    String disk = args.get("disk", "off");
    if (!disk.equals("on") && !disk.equals("true")) {
      if (!disk.equals("off") && !disk.equals("false")) {
        throw new IllegalArgumentException("argument disk=" + disk + " must be on or off");
      }
      return null;
    }
    if (args.disk() == null) {
      throw new IllegalArgumentException("disk=on needs a datastore, and this host has none");
    }
    return args.disk().resolve("kv.wal");
  }

  @Override
  public void prepare(GuestArgs args) throws IOException {
    listen(args); // bound early; nobody connects before the endpoint is published at resume
  }

  @Override
  public void resume(GuestMemory memory, GuestArgs args) throws IOException {
    table = KvTable.attach(memory);
    java.nio.file.Path log = walFile(args);
    if (log != null) {
      wal = KvWal.open(log); // the memory already holds what the log says
    }
    if (server == null) {
      listen(args);
    }
  }

  private void listen(GuestArgs args) throws IOException {
    selector = Selector.open();
    server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(args.bindAddress(), args.getInt("port", 0)));
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
    endpoint = args.bindAddress() + ":" + bound.getPort();
  }

  @Override
  public String endpoint() {
    return endpoint;
  }

  @Override
  public void step(GuestMemory memory) throws IOException {
    if (selector.select(5) == 0) {
      return;
    }
    List<Request> pending = new ArrayList<>();
    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
    while (it.hasNext()) {
      SelectionKey key = it.next();
      it.remove();
      try {
        if (!key.isValid()) {
          continue;
        }
        if (key.isAcceptable()) {
          SocketChannel c = server.accept();
          if (c != null) {
            c.configureBlocking(false);
            c.register(selector, SelectionKey.OP_READ, new Connection());
          }
        } else {
          read(key, pending);
        }
      } catch (IOException e) {
        key.cancel();
        key.channel().close();
      }
    }
    if (wal != null) {
      // Group commit: one force for every change of this step, before any of them is applied.
      List<String> changes = new ArrayList<>();
      for (Request r : pending) {
        if (changes(r.line)) {
          changes.add(r.line);
        }
      }
      wal.append(changes);
    }
    for (Request r : pending) {
      r.conn.out.put((handle(r.line) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    for (Request r : pending) {
      flush(r.key);
    }
  }

  /** A request and where its reply goes. */
  private record Request(SelectionKey key, Connection conn, String line) {}

  /** Whether a request may change the table (or the session table): it must reach the log. */
  private static boolean changes(String line) {
    String upper = line.toUpperCase(java.util.Locale.ROOT);
    return !(upper.startsWith("GET ") || upper.equals("PING"));
  }

  private void read(SelectionKey key, List<Request> pending) throws IOException {
    SocketChannel c = (SocketChannel) key.channel();
    Connection conn = (Connection) key.attachment();
    if (key.isReadable()) {
      int n = c.read(conn.in);
      if (n < 0) {
        key.cancel();
        c.close();
        return;
      }
      conn.in.flip();
      int lineStart = conn.in.position();
      while (conn.in.hasRemaining()) {
        if (conn.in.get() == '\n') {
          int end = conn.in.position() - 1;
          byte[] line = new byte[end - lineStart];
          conn.in.get(lineStart, line);
          pending.add(new Request(key, conn, new String(line, StandardCharsets.UTF_8).strip()));
          lineStart = conn.in.position();
        }
      }
      conn.in.position(lineStart);
      conn.in.compact();
      if (conn.in.position() >= MAX_LINE) {
        conn.out.put("ERR line too long\n".getBytes(StandardCharsets.UTF_8));
        conn.in.clear();
      }
    }
    flush(key);
  }

  private void flush(SelectionKey key) throws IOException {
    if (!key.isValid()) {
      return;
    }
    Connection conn = (Connection) key.attachment();
    conn.out.flip();
    ((SocketChannel) key.channel()).write(conn.out);
    conn.out.compact();
    key.interestOps(conn.out.position() > 0 ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
  }

  /** Applies one request (numbered or not) to the table and returns the reply. */
  /** Applies each logged command again at boot (a class rather than a lambda: VM start-up CPU). */
  private final class Replay implements java.util.function.Consumer<String> {
    @Override
    public void accept(String line) {
      handle(line);
    }
  }

  String handle(String line) {
    if (line.startsWith("R ")) {
      String[] p = line.split(" ", 4);
      long client;
      long seq;
      try {
        client = Long.parseLong(p[1]);
        seq = Long.parseLong(p[2]);
      } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
        return "ERR usage: R client seq COMMAND";
      }
      if (client == 0 || p.length < 4) {
        return "ERR usage: R client seq COMMAND (client must not be 0)";
      }
      KvSessions sessions = table.sessions();
      String replay = sessions.replayed(client, seq);
      if (replay != null) {
        return replay;
      }
      String reply = apply(p[3]);
      sessions.remember(client, seq, reply);
      return reply;
    }
    return apply(line);
  }

  private String apply(String line) {
    String[] parts = line.split(" ", 3);
    try {
      switch (parts[0].toUpperCase(java.util.Locale.ROOT)) {
        case "PUT":
          if (parts.length < 3) {
            return "ERR usage: PUT key value";
          }
          return table.put(parts[1], parts[2]) ? "OK" : "ERR table full";
        case "GET":
          if (parts.length != 2) {
            return "ERR usage: GET key";
          }
          String v = table.get(parts[1]);
          return v == null ? "NOTFOUND" : "VALUE " + v;
        case "DEL":
          if (parts.length != 2) {
            return "ERR usage: DEL key";
          }
          return table.delete(parts[1]) ? "OK" : "NOTFOUND";
        case "INCR":
          if (parts.length != 2) {
            return "ERR usage: INCR key";
          }
          return "VALUE " + table.increment(parts[1]);
        case "PING":
          return "PONG";
        default:
          return "ERR unknown command " + parts[0];
      }
    } catch (IllegalArgumentException e) {
      return "ERR " + e.getMessage();
    }
  }

  @Override
  public void close() throws IOException {
    if (wal != null) {
      wal.close();
    }
    if (selector != null) {
      for (SelectionKey k : selector.keys()) {
        k.channel().close();
      }
      selector.close();
    }
  }

  private static final class Connection {
    final ByteBuffer in = ByteBuffer.allocate(MAX_LINE + 64);
    final ByteBuffer out = ByteBuffer.allocate(64 * 1024);
  }
}
