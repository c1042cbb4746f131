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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * A key-value server whose table lives in guest memory ({@link KvTable}). It serves a line
 * protocol over TCP on the host's address (argument {@code port}, default 0 = any free port), or,
 * for a VM with an address of its own, on that address at port {@code port}, default {@value
 * #OWN_ADDRESS_PORT}: the address is the VM's alone, so a fixed port is free on every host it
 * moves to, and a client that knows only the address keeps reaching it:
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
 * <p>No client can cost the VM more than a fixed amount of memory ({@link KvConnection}): a client
 * that sends requests without reading its replies is no longer read from until it reads; a line
 * longer than {@value #MAX_LINE} bytes gets {@code ERR line too long} and the connection is closed;
 * past {@code max-connections} clients (default {@value #DEFAULT_MAX_CONNECTIONS}) a new one gets
 * {@code ERR too many connections} and is closed.
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
  /** The port kv serves on at a VM's own address when no {@code port} argument is given. */
  public static final int OWN_ADDRESS_PORT = 7070;
  static final int MAX_LINE = 1024;
  /** Clients served at once; each costs at most ~18 KiB of heap ({@link KvConnection}). */
  static final int DEFAULT_MAX_CONNECTIONS = 128;
  private static final byte[] TOO_MANY_CONNECTIONS = "ERR too many connections\n".getBytes(StandardCharsets.UTF_8);
  static final long DEFAULT_SEGMENT_BYTES = 8L << 20;
  /** Segments past the last snapshot (one per migration) before the next step takes a snapshot. */
  static final int MAX_DEPTH = 4;

  /** Wall-clock ms: session idle times and log records, which move with the VM between hosts. */
  private final LongSupplier clockMillis;
  /** The clock of the lease deadline in the memory header: monotonic, shared with the agent. */
  private final LongSupplier leaseClockMillis;
  private GuestMemory memory;
  /** FT's output commit: replies leave once their checkpoint is acknowledged (or at once, unprotected). */
  private io.roam.agent.guest.OutputCommit outputCommit;
  /** Connections with replies held for a checkpoint: looked at every step, since an ack makes no I/O event. */
  private final Set<SelectionKey> holding = new LinkedHashSet<>();
  private KvTable table;
  private KvWal wal;
  private Path diskDir;
  private long segmentBytes;
  private SlowDatastoreFault slow;
  private Selector selector;
  private ServerSocketChannel server;
  private String endpoint;
  private int maxConnections;
  private int connections;
  /** Connections holding a whole request they may take now (it did not fit the last step's replies). */
  private final Set<SelectionKey> ready = new LinkedHashSet<>();
  /** A batch forced to the log while the lease had run out: applied, without replies, once the lease is back. */
  private List<String> held;
  private long heldTimeMs;
  private long heldLogEnd;
  /** Tests only: runs after a step checked its lease and read its requests, before the log is written (a stall). */
  Runnable beforeLogWrite;
  private long requestsRead;

  /** Tests: requests taken from clients so far. */
  long requestsRead() {
    return requestsRead;
  }

  /** Tests: clients connected now. */
  int connections() {
    return connections;
  }

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
    this.outputCommit = new io.roam.agent.guest.OutputCommit(memory.header());
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
      long recoveryStart = System.currentTimeMillis();
      KvRecovery.load(plan, table);
      // A snapshot of what was rebuilt, and a segment continuing it: older files can go.
      startSegment(epoch, segment);
      long recovered = System.currentTimeMillis();
      // Wall-clock times, read by `./roam bench ha` to split a restart's time into its phases.
      System.out.println("kv: disk recovered (replay and snapshot) in " + (recovered - recoveryStart) + " ms at "
          + recovered);
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
    // Bound early; nobody connects before the endpoint is published at resume. Not a VM's own
    // address: the destination adds it only once ownership is its own (at GO), so it binds at resume.
    if (!args.ownAddress()) {
      listen(args);
    }
  }

  @Override
  public void resume(GuestMemory memory, GuestArgs args) throws IOException {
    this.memory = memory;
    this.outputCommit = new io.roam.agent.guest.OutputCommit(memory.header());
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
    server.bind(new InetSocketAddress(args.bindAddress(), args.getInt("port", args.ownAddress() ? OWN_ADDRESS_PORT : 0)));
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    maxConnections = args.getInt("max-connections", DEFAULT_MAX_CONNECTIONS);
    if (maxConnections < 1) {
      throw new IllegalArgumentException("argument max-connections must be at least 1");
    }
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
    if (!holding.isEmpty()) {
      for (SelectionKey key : List.copyOf(holding)) {
        settle(key); // sends what an acknowledged checkpoint released
      }
    }
    // Connections with a request already buffered are served without waiting for the network;
    // held replies are looked at again within a millisecond.
    int selected = !ready.isEmpty() ? selector.selectNow() : selector.select(holding.isEmpty() ? 5 : 1);
    if (selected == 0 && ready.isEmpty()) {
      return;
    }
    Set<SelectionKey> selectedKeys = selector.selectedKeys();
    Set<SelectionKey> touched = new LinkedHashSet<>(ready);
    ready.clear();
    touched.addAll(selectedKeys);
    List<Request> pending = new ArrayList<>();
    for (SelectionKey key : touched) {
      if (key.channel() == server) {
        accept();
        continue;
      }
      try {
        if (key.isValid()) {
          serve(key, selectedKeys.contains(key), pending);
        }
      } catch (IOException e) {
        closeConnection(key);
      }
    }
    selectedKeys.clear();
    try {
      if (!pending.isEmpty()) {
        answer(pending);
      }
    } finally {
      for (SelectionKey key : touched) {
        if (key.channel() != server) {
          settle(key);
        }
      }
    }
  }

  /** Applies a step's requests: logged first (with a disk), then applied and answered if the lease still holds. */
  private void answer(List<Request> pending) throws IOException {
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
      r.conn.reply(KvCommands.handle(table, r.line, now));
    }
    if (wal != null) {
      table.walLength(wal.length());
    }
    if (wal != null && (wal.length() >= segmentBytes || table.walDepth() >= MAX_DEPTH)) {
      startSegment(wal.epoch(), wal.segment() + 1);
    }
  }

  /** Accepts one client, or tells it that there are too many and closes it. */
  private void accept() {
    SocketChannel c = null;
    try {
      c = server.accept();
      if (c == null) {
        return;
      }
      c.configureBlocking(false);
      if (connections >= maxConnections) {
        c.write(ByteBuffer.wrap(TOO_MANY_CONNECTIONS)); // a fresh socket's buffer takes these few bytes
        c.close();
        return;
      }
      c.register(selector, SelectionKey.OP_READ, new KvConnection(outputCommit));
      connections++;
    } catch (IOException e) {
      closeQuietly(c);
    }
  }

  /** Reads and sends what the socket is ready for, and takes the requests the connection may take now. */
  private void serve(SelectionKey key, boolean selectedNow, List<Request> pending) throws IOException {
    SocketChannel c = (SocketChannel) key.channel();
    KvConnection conn = (KvConnection) key.attachment();
    if (selectedNow && key.isWritable()) {
      send(c, conn);
    }
    if (selectedNow && key.isReadable()) {
      if (conn.closing()) {
        conn.in.clear(); // after an error the rest of the input means nothing
      }
      if (c.read(conn.in) < 0) {
        closeConnection(key);
        return;
      }
      if (conn.closing()) {
        conn.in.clear();
      }
    }
    String line;
    while ((line = conn.takeRequest()) != null) {
      requestsRead++;
      pending.add(new Request(key, conn, line));
    }
    if (conn.lineTooLong()) {
      conn.closeWith(KvConnection.LINE_TOO_LONG);
    }
  }

  /** After a step: sends what it can, and sets what the connection waits for next. */
  private void settle(SelectionKey key) {
    if (!key.isValid()) {
      holding.remove(key);
      return;
    }
    SocketChannel c = (SocketChannel) key.channel();
    KvConnection conn = (KvConnection) key.attachment();
    try {
      conn.queueError();
      send(c, conn);
      if (conn.doneSending() && !conn.outputShut) {
        // The client reads the error, then the end of the stream; it closes, and so do we.
        c.shutdownOutput();
        conn.outputShut = true;
      }
      key.interestOps((conn.wantsToRead() ? SelectionKey.OP_READ : 0)
          | (conn.hasSendableReplies() ? SelectionKey.OP_WRITE : 0));
      if (conn.holdsOutput()) {
        holding.add(key);
      } else {
        holding.remove(key);
      }
      if (conn.hasRequestToTake()) {
        ready.add(key);
      }
    } catch (IOException e) {
      closeConnection(key);
    }
  }

  private static void send(SocketChannel c, KvConnection conn) throws IOException {
    conn.send(c);
  }

  private void closeConnection(SelectionKey key) {
    holding.remove(key);
    if (key.isValid()) {
      key.cancel();
      connections--;
    }
    ready.remove(key);
    closeQuietly(key.channel());
  }

  private static void closeQuietly(java.nio.channels.Channel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing anyway
      }
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
      closeConnection(r.key);
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
  private record Request(SelectionKey key, KvConnection conn, String line) {}

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
}
