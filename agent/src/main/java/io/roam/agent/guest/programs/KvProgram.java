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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongSupplier;

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
 * R client seq COMMAND...            (any command, numbered per client from 1: a retry of the last
 *                                     number gets the stored reply and is not applied twice; see
 *                                     {@link KvSessions} for when a session expires)
 * </pre>
 *
 * Requests are handled inside {@link #step}, so a reply is written only after the request was
 * applied to guest memory: an acknowledged PUT is in memory, and a pause never sees half of one.
 *
 * <p>With {@code disk=on} the VM also has a disk on the datastore ({@link KvWal}): every request
 * that changes something is first appended to a write-ahead log there, forced to disk once per
 * step for all the requests of that step (group commit). A step then re-checks its lease: a copy
 * whose lease ran out while it waited for the disk (a frozen host, a stalled datastore) applies
 * nothing and answers nothing, since a new owner may already have replayed the log. Log records
 * carry the owner epoch; a fresh boot rebuilds the table from the disk ({@link KvRecovery}) and
 * starts a new snapshot and segment under its own epoch, and the destination of a migration
 * starts a segment of its own, fenced with its new epoch, that continues the source's, before it
 * serves. The log is cut into segments of {@code wal-segment-bytes} (default 8 MiB): past that,
 * or {@value #MAX_DEPTH} migrations after the last snapshot, the table is snapshotted and older
 * files are deleted, so the disk stays bounded.
 *
 * <p>Thread-safety: the runtime thread only.
 */
public final class KvProgram implements GuestProgram {
  private static final int MAX_LINE = 1024;
  static final long DEFAULT_SEGMENT_BYTES = 8L << 20;
  /** Segments past the last snapshot (one per migration) before the next step takes a snapshot. */
  static final int MAX_DEPTH = 4;

  /** Wall-clock ms: session idle times and log records, which move with the VM between hosts. */
  private final LongSupplier clockMillis;
  /** The clock of the lease deadline in the memory header: monotonic, shared with the agent. */
  private final LongSupplier leaseClockMillis;
  private GuestMemory memory;
  private KvTable table;
  private KvWal wal;
  private Path diskDir;
  private long segmentBytes;
  private SlowDatastoreFault slow;
  private Selector selector;
  private ServerSocketChannel server;
  private String endpoint;
  /** A batch forced to the log while the lease had run out: applied, without replies, once the lease is back. */
  private List<String> held;
  private long heldTimeMs;
  private long heldLogEnd;
  /** Tests only: runs after a step checked its lease and read its requests, before the log is written (a stall). */
  Runnable beforeLogWrite;

  /** The wall clock, as a class: VM start-up pays for every lambda. */
  private static final class WallClock implements LongSupplier {
    @Override
    public long getAsLong() {
      return System.currentTimeMillis();
    }
  }

  /** The monotonic clock the agent writes lease deadlines with, as a class for the same reason. */
  private static final class LeaseClock implements LongSupplier {
    @Override
    public long getAsLong() {
      return io.roam.common.time.Monotonic.millis();
    }
  }

  public KvProgram() {
    this(new WallClock(), new LeaseClock());
  }

  /** Tests: one clock for everything. */
  KvProgram(LongSupplier clockMillis) {
    this(clockMillis, clockMillis);
  }

  /**
   * @param clockMillis wall-clock ms for session times and log records
   * @param leaseClockMillis the clock the lease deadline in the memory header is compared with
   */
  public KvProgram(LongSupplier clockMillis, LongSupplier leaseClockMillis) {
    this.clockMillis = clockMillis;
    this.leaseClockMillis = leaseClockMillis;
  }

  @Override
  public void boot(GuestMemory memory, GuestArgs args) throws IOException {
    this.memory = memory;
    table = KvTable.format(memory);
    configureDisk(args);
    if (diskDir != null) {
      KvRecovery.Plan plan = KvRecovery.plan(diskDir);
      long epoch = args.ownerEpoch();
      if (epoch != 0 && plan.newestEpoch() > epoch) {
        throw new IllegalStateException("the disk " + diskDir + " was written by owner epoch " + plan.newestEpoch()
            + ", newer than this copy's " + epoch + ": this copy is stale and must not run");
      }
      if (epoch == 0) {
        epoch = plan.newestEpoch(); // started without an epoch (tests, a single host): the disk's
      }
      long segment = plan.newestSegment() + 1;
      if (!plan.links().isEmpty()) {
        // The fence, before the replay: a segment of this epoch that fixes where the last segment
        // ends for every later reader. What an older copy still appends there is never read.
        Path last = plan.links().get(plan.links().size() - 1).log();
        long[] es = KvWal.parse(last.getFileName().toString(), KvWal.LOG);
        long length = Files.size(last);
        KvWal.create(diskDir, epoch, segment, new KvLogFormat.Previous(es[0], es[1], length), slow).close();
        plan = plan.cutAt(length);
        segment++;
      }
      KvRecovery.load(plan, table);
      // A snapshot of what was rebuilt, and a segment continuing it: older files can go.
      startSegment(epoch, segment);
    }
    listen(args);
  }

  private void configureDisk(GuestArgs args) {
    String disk = args.get("disk", "off");
    if (!disk.equals("on") && !disk.equals("true")) {
      if (!disk.equals("off") && !disk.equals("false")) {
        throw new IllegalArgumentException("argument disk=" + disk + " must be on or off");
      }
      return;
    }
    if (args.disk() == null) {
      throw new IllegalArgumentException("disk=on needs a datastore, and this host has none");
    }
    segmentBytes = args.getSize("wal-segment-bytes", DEFAULT_SEGMENT_BYTES);
    if (segmentBytes < 1) {
      throw new IllegalArgumentException("argument wal-segment-bytes must be positive");
    }
    diskDir = args.disk();
    slow = SlowDatastoreFault.forDatastore(args.datastoreRoot());
  }

  /** Snapshots the table as (epoch, segment), opens that segment, and deletes what it made useless. */
  private void startSegment(long epoch, long segment) throws IOException {
    KvSnapshot.write(diskDir, epoch, segment, table);
    KvWal next = KvWal.create(diskDir, epoch, segment, null, slow);
    if (wal != null) {
      wal.close();
    }
    wal = next;
    table.walPosition(epoch, segment, wal.length(), 0);
    KvWal.deleteOlderThan(diskDir, epoch, segment);
  }

  @Override
  public void prepare(GuestArgs args) throws IOException {
    listen(args); // bound early; nobody connects before the endpoint is published at resume
  }

  @Override
  public void resume(GuestMemory memory, GuestArgs args) throws IOException {
    this.memory = memory;
    table = KvTable.attach(memory);
    configureDisk(args);
    if (diskDir != null) {
      long epoch = args.ownerEpoch();
      if (epoch != 0 && epoch < table.walEpoch()) {
        throw new IllegalStateException("this copy's owner epoch " + epoch + " is older than the log's "
            + table.walEpoch() + ": it is stale and must not run");
      }
      // The memory says where the source's log ends. The new owner continues it in a segment of its
      // own, fenced with its epoch, before it serves: it never writes to a file the source wrote.
      KvLogFormat.Previous previous = new KvLogFormat.Previous(table.walEpoch(), table.walSegment(), table.walLength());
      Path sourceLog = diskDir.resolve(KvWal.name(KvWal.LOG, previous.epoch(), previous.segment()));
      if (!Files.exists(sourceLog) || Files.size(sourceLog) < previous.length()) {
        throw new IOException("write-ahead log " + sourceLog + " is missing or shorter than the " + previous.length()
            + " bytes the VM's memory says it holds: acknowledged records are missing");
      }
      long segment = KvWal.newestSegment(diskDir) + 1;
      wal = KvWal.create(diskDir, epoch != 0 ? epoch : previous.epoch(), segment, previous, slow);
      table.walPosition(wal.epoch(), segment, wal.length(), table.walDepth() + 1);
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
    if (held != null) {
      applyHeld(); // the runtime checked the lease before this step: this copy still owns the VM
    }
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
    if (pending.isEmpty()) {
      return;
    }
    if (beforeLogWrite != null) {
      beforeLogWrite.run();
    }
    long now = clockMillis.getAsLong();
    List<String> changes = List.of();
    if (wal != null) {
      // Group commit: one force for every change of this step, before any of them is applied.
      changes = new ArrayList<>();
      for (Request r : pending) {
        if (KvCommands.changes(r.line)) {
          changes.add(r.line);
        }
      }
      wal.append(changes, now);
    }
    // The lease again, now that the log is forced: a step that began under its lease must not
    // finish after it (a new owner may have replayed the log already).
    if (!this.memory.header().leaseValid(leaseClockMillis.getAsLong())) {
      dropUnanswered(pending, changes, now);
      return;
    }
    for (Request r : pending) {
      r.conn.out.put((KvCommands.handle(table, r.line, now) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    if (wal != null) {
      table.walLength(wal.length());
    }
    for (Request r : pending) {
      flush(r.key);
    }
    if (wal != null && (wal.length() >= segmentBytes || table.walDepth() >= MAX_DEPTH)) {
      startSegment(wal.epoch(), wal.segment() + 1);
    }
  }

  /**
   * The lease ran out while the step waited for the log: nothing is applied and nothing answered.
   * The connections are closed so the clients retry at once (elsewhere, once the VM moved); the
   * logged batch is kept to be applied if this copy gets its lease back, so memory and log agree.
   */
  private void dropUnanswered(List<Request> pending, List<String> changes, long logTimeMs) throws IOException {
    if (!changes.isEmpty()) {
      held = changes;
      heldTimeMs = logTimeMs; // the batch's own time: a replay decides alike
      heldLogEnd = wal.length();
    }
    for (Request r : pending) {
      r.key.cancel();
      r.key.channel().close();
    }
  }

  private void applyHeld() {
    for (String line : held) {
      KvCommands.handle(table, line, heldTimeMs);
    }
    table.walLength(heldLogEnd);
    held = null;
  }

  /** A request and where its reply goes. */
  private record Request(SelectionKey key, Connection conn, String line) {}

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

  /** Applies one request to the table as the live VM does (tests); not logged. */
  String handle(String line) {
    return KvCommands.handle(table, line, clockMillis.getAsLong());
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
