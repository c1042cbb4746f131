package io.roam.agent.vm;

import io.roam.common.model.VmSpec;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A few VM JVMs started ahead of need, without a VM ({@code agent.vm-pool-size} at least, up to
 * {@code agent.vm-pool-max} as the leader advises from the VMs HA would restart here; issue 12: when a
 * host fails, HA boots its VMs elsewhere at once, and each VM's own JVM start-up is much of its
 * boot). A pooled process ({@code GuestMain --pool}, see {@code PooledStart}) has loaded the guest
 * runtime's classes and waits on its pool socket; {@link #startVm} hands one the VM a launch would
 * have started, with the same properties and arguments, and it boots the program from there.
 *
 * <p>What holds for a launched VM holds for a pooled one, because the pool only replaces the
 * {@code exec}: the VM manager reads the owner record, creates the memory file, renews the lease
 * and adds the VM's address before it calls the launcher, as before a launch, and the assignment is
 * sent only then; the VM's log, pid file, control socket, crash handling and power-off are the
 * manager's as for any VM process. A pooled process is not a VM anywhere: the manager never sees
 * one until it is assigned, and it maps no guest memory before.
 *
 * <p>Which processes fit: those whose JVM command (heap, class path, JVM options) is what a launch
 * now would have, class data sharing options aside ({@link VmLauncher#poolFit}); others are
 * replaced. User programs ({@code --jar}) start in pooled processes too: their jar is loaded by its
 * own class loader after the assignment, as in a launched JVM. A migration's destination does not
 * use the pool (its JVM starts while the memory is copied, off the pause).
 *
 * <p>Refilling: one background thread, at most one launch at a time, and only after the agent has
 * started no VM for {@link #DEFAULT_QUIET} (the pool's start-up CPU must not compete with the
 * restarts it is there for). A pooled process that dies while waiting is forgotten and replaced.
 * It exits by itself when the agent is gone; {@link #close} kills the waiting ones; the agent's
 * {@link OrphanReaper} kills those a killed agent left ({@code <run>/vm-pool/*.pid}).
 *
 * <p>Thread-safety: safe; the waiting processes are guarded by this object's lock, and an
 * assignment is made outside it.
 */
public final class VmProcessPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VmProcessPool.class);
  /** No refill launch sooner than this after a VM start. */
  public static final Duration DEFAULT_QUIET = Duration.ofSeconds(2);
  /** The longest a take waits for a pooled process that is still starting, or for its answer. */
  private static final Duration ASSIGN_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
  private static final long REFILL_PERIOD_MS = 200;

  /** One waiting process. */
  private record Pooled(int id, Process process, Path socket, Path pidFile, String fit) {}

  private final VmLauncher launcher;
  private final Path dir;
  private final Path log;
  /** At least this many wait (agent.vm-pool-size), whatever the leader advises. */
  private final int size;
  /** At most this many wait (agent.vm-pool-max), whatever the leader advises. */
  private final int max;
  /** The leader's advice ({@link #advise}): the most VMs HA would restart here at once. */
  private volatile int advised;
  private final long quietNanos;
  private final Deque<Pooled> waiting = new ArrayDeque<>();
  private final ScheduledExecutorService refiller;
  private long lastStartNanos;
  private int nextId;
  private boolean closed;

  /**
   * @param dir the pool's sockets and pid files; made private to the agent's user
   * @param log where waiting processes write (a VM's output goes to its own log once assigned)
   * @param size how many processes wait at most (0: none, every start launches a JVM)
   */
  public VmProcessPool(VmLauncher launcher, Path dir, Path log, int size, Duration quiet) throws IOException {
    this(launcher, dir, log, size, size, quiet);
  }

  /**
   * @param size how many processes wait at least (0: none unless advised)
   * @param max how many processes wait at most, whatever {@link #advise} says (at least {@code size})
   */
  public VmProcessPool(VmLauncher launcher, Path dir, Path log, int size, int max, Duration quiet) throws IOException {
    if (size < 0 || max < size) {
      throw new IllegalArgumentException("pool size must be from 0 to its maximum, got " + size + " of " + max);
    }
    this.launcher = launcher;
    this.dir = dir;
    this.log = log;
    this.size = size;
    this.max = max;
    this.quietNanos = quiet.toNanos();
    PrivateDirectory.ensure(dir, "VM pool directory");
    lastStartNanos = System.nanoTime(); // the first fill waits as a refill does: the agent is starting up too
    refiller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "vm-pool");
      t.setDaemon(true);
      return t;
    });
    if (max > 0) {
      refiller.scheduleWithFixedDelay(this::refillSafely, 0, REFILL_PERIOD_MS, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * The leader's advice: HA would restart up to {@code vms} VMs here at once if another host
   * failed. The pool grows towards it (at most the maximum) as it refills, and shrinks back when
   * the advice falls, to no fewer than the configured size. Any thread.
   */
  public void advise(int vms) {
    advised = Math.max(0, vms);
  }

  /** How many processes the pool keeps waiting now. */
  public int target() {
    return Math.max(size, Math.min(max, advised));
  }

  /**
   * Makes a waiting process the VM a launch with these arguments would start, and returns it;
   * empty when none fits or the hand-over failed (the process is then dead: the caller launches).
   * Call it only where a launch would be made, after the checks before one.
   */
  Optional<Process> startVm(VmSpec spec, Path memoryFile, Path controlSocket, Path logFile, long ownerEpoch)
      throws IOException {
    Pooled p = take(launcher.poolFit());
    if (p == null) {
      return Optional.empty();
    }
    Files.deleteIfExists(p.pidFile()); // from now on the VM's pid file names it
    VmLauncher.Assignment a = launcher.assignment(spec, memoryFile, controlSocket, logFile, ownerEpoch);
    try {
      assign(p, a);
      LOG.info("VM {} starts in pooled process {}", spec.name(), p.process().pid());
      return Optional.of(p.process());
    } catch (IOException e) {
      // The process may have taken the assignment without our seeing its answer: it must be gone
      // before the VM is launched anywhere else, or two copies could run.
      LOG.warn("pooled process {} did not take VM {} ({}); launching a JVM for it", p.process().pid(), spec.name(),
          e.getMessage());
      killAndWait(p);
      return Optional.empty();
    }
  }

  /** The pids of the processes waiting now (tests, diagnostics). */
  public synchronized List<Long> waitingPids() {
    return waiting.stream().map(p -> p.process().pid()).toList();
  }

  /** The pids of the waiting processes that listen already, ready for an assignment (tests, diagnostics). */
  public synchronized List<Long> readyPids() {
    return waiting.stream().filter(p -> Files.exists(p.socket())).map(p -> p.process().pid()).toList();
  }

  private synchronized Pooled take(String fit) {
    lastStartNanos = System.nanoTime();
    while (!waiting.isEmpty()) {
      Pooled p = waiting.pollFirst(); // the oldest: the most likely to be ready
      if (p.process().isAlive() && p.fit().equals(fit)) {
        return p;
      }
      p.process().destroyForcibly(); // settings changed under it, or dead: the refill replaces it
      deleteFiles(p);
    }
    return null;
  }

  /** Sends the assignment and waits for its answer; any doubt is an IOException. */
  private static void assign(Pooled p, VmLauncher.Assignment a) throws IOException {
    long deadline = System.nanoTime() + ASSIGN_TIMEOUT.toNanos();
    try (SocketChannel c = connect(p, deadline)) {
      DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
      out.writeInt(a.properties().size());
      for (Map.Entry<String, String> e : a.properties().entrySet()) {
        out.writeUTF(e.getKey());
        out.writeUTF(e.getValue());
      }
      out.writeInt(a.arguments().size());
      for (String arg : a.arguments()) {
        out.writeUTF(arg);
      }
      out.flush();
      c.configureBlocking(false);
      try (Selector s = Selector.open()) {
        c.register(s, SelectionKey.OP_READ);
        ByteBuffer answer = ByteBuffer.allocate(1);
        while (answer.hasRemaining()) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new IOException("no answer within " + ASSIGN_TIMEOUT.toSeconds() + " s");
          }
          s.select(Math.max(1, left / 1_000_000));
          s.selectedKeys().clear();
          if (c.read(answer) < 0) {
            throw new IOException("it closed its pool socket without answering");
          }
        }
        if (answer.get(0) != 'A') {
          throw new IOException("it answered " + answer.get(0));
        }
      }
    }
  }

  /** Connects to a pooled process's socket, waiting while it is still starting up. */
  private static SocketChannel connect(Pooled p, long deadline) throws IOException {
    while (true) {
      if (!p.process().isAlive()) {
        throw new IOException("it exited with code " + p.process().exitValue());
      }
      SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        c.connect(UnixDomainSocketAddress.of(p.socket()));
        return c;
      } catch (IOException e) {
        c.close();
        if (System.nanoTime() > deadline) {
          throw new IOException("it did not listen within " + ASSIGN_TIMEOUT.toSeconds() + " s: " + e.getMessage());
        }
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }
  }

  private void refillSafely() {
    try {
      refill();
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot start a pooled VM process: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Starts one process when the pool is short and the agent has been quiet, and waits until it
   * listens; or, when the pool holds more than its target (the advice fell), stops the newest one.
   */
  private void refill() throws IOException, InterruptedException {
    int id;
    Pooled surplus = null;
    synchronized (this) {
      if (closed) {
        return;
      }
      if (waiting.size() > target()) {
        surplus = waiting.pollLast();
      } else if (waiting.size() >= target() || System.nanoTime() - lastStartNanos < quietNanos) {
        return;
      }
      id = nextId++;
    }
    if (surplus != null) {
      killAndWait(surplus);
      return;
    }
    Path socket = dir.resolve(id + ".sock");
    Path pidFile = dir.resolve(id + ".pid");
    Files.deleteIfExists(socket);
    Process process = launcher.launchPooled(socket, log);
    Files.writeString(pidFile, Long.toString(process.pid()));
    Pooled p = new Pooled(id, process, socket, pidFile, launcher.poolFit());
    synchronized (this) {
      if (closed) {
        killAndWait(p);
        return;
      }
      waiting.addLast(p);
    }
    process.onExit().thenRun(() -> exitedWhileWaiting(p));
    // One start-up at a time: the next refill waits until this one listens (or died, or we close).
    long deadline = System.nanoTime() + ASSIGN_TIMEOUT.toNanos();
    while (process.isAlive() && !Files.exists(socket) && !isClosed() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  private void exitedWhileWaiting(Pooled p) {
    synchronized (this) {
      if (!waiting.remove(p)) {
        return; // taken (it is a VM now, the VM manager's) or discarded
      }
    }
    deleteFiles(p);
    if (!isClosed()) {
      LOG.warn("pooled VM process {} exited with code {} while waiting; it will be replaced", p.process().pid(),
          p.process().exitValue());
    }
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  private static void killAndWait(Pooled p) throws IOException {
    p.process().destroyForcibly();
    try {
      if (!p.process().waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("pooled process " + p.process().pid() + " did not exit within "
            + KILL_TIMEOUT.toSeconds() + " s of a kill");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for pooled process " + p.process().pid() + " to exit");
    } finally {
      deleteFiles(p);
    }
  }

  private static void deleteFiles(Pooled p) {
    try {
      Files.deleteIfExists(p.pidFile());
      Files.deleteIfExists(p.socket());
    } catch (IOException e) {
      LOG.debug("cleaning up after pooled process {}: {}", p.process().pid(), e.toString());
    }
  }

  /** Stops refilling and kills every waiting process, waiting for each to exit. */
  @Override
  public void close() {
    List<Pooled> left;
    synchronized (this) {
      closed = true;
      left = new ArrayList<>(waiting);
      waiting.clear();
    }
    refiller.shutdownNow();
    try {
      if (!refiller.awaitTermination(KILL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        LOG.warn("the pool's refill did not stop within {} s", KILL_TIMEOUT.toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Pooled p : left) {
      try {
        killAndWait(p);
      } catch (IOException e) {
        LOG.warn("{}", e.getMessage());
      }
    }
  }
}
