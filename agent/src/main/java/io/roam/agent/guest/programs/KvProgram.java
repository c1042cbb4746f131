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
import java.util.Iterator;

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
 */
public final class KvProgram implements GuestProgram {
  private static final int MAX_LINE = 1024;

  private KvTable table;
  private Selector selector;
  private ServerSocketChannel server;
  private String endpoint;

  @Override
  public void boot(GuestMemory memory, GuestArgs args) throws IOException {
    table = KvTable.format(memory);
    listen(args);
  }

  @Override
  public void prepare(GuestArgs args) throws IOException {
    listen(args); // bound early; nobody connects before the endpoint is published at resume
  }

  @Override
  public void resume(GuestMemory memory, GuestArgs args) throws IOException {
    table = KvTable.attach(memory);
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
          serve(key);
        }
      } catch (IOException e) {
        key.cancel();
        key.channel().close();
      }
    }
  }

  private void serve(SelectionKey key) throws IOException {
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
          conn.out.put((handle(new String(line, StandardCharsets.UTF_8).strip()) + "\n").getBytes(StandardCharsets.UTF_8));
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
    conn.out.flip();
    c.write(conn.out);
    conn.out.compact();
    key.interestOps(conn.out.position() > 0 ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
  }

  /** Applies one request (numbered or not) to the table and returns the reply. */
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
