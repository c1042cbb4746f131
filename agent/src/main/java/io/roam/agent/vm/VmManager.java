package io.roam.agent.vm;

import static io.roam.agent.vm.VmOperationException.Kind.*;

import io.roam.agent.guest.Programs;
import io.roam.agent.memory.DirtyPages;
import io.roam.agent.memory.GuestMemory;
import io.roam.agent.memory.GuestMemoryException;
import io.roam.agent.memory.MemoryLayout;
import io.roam.agent.migration.Ownership;
import io.roam.agent.migration.OwnershipDecisions;
import io.roam.agent.net.VmAddresses;
import io.roam.common.net.VmAddress;
import io.roam.common.Sizes;
import io.roam.common.concurrent.OrderedExecutor;
import io.roam.common.model.VmSpec;
import io.roam.common.time.Monotonic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VMs of this agent: creation with admission control, start, stop, power off, destroy, and
 * the running truth about each (state, statistics, crashes). Operations on one VM go through that
 * VM's queue ({@link OrderedExecutor}) and return futures, so callers (gRPC) never block.
 *
 * <p>A VM process is launched or resumed only right after reading an owner record that names this
 * host at the epoch the caller gives (DESIGN.md invariant 1); lease deadlines are monotonic time
 * ({@link Monotonic}), which the agent and its VM processes read from the same machine clock.
 */
public final class VmManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VmManager.class);
  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(2);
  /** How long one BOOTED call waits in the VM (the boot wait asks again until its own timeout). */
  private static final Duration BOOTED_WAIT = Duration.ofSeconds(1);
  /** Longer than the guest's own wait for its program to resume (10 s), which answers "still ..." then. */
  private static final Duration GO_TIMEOUT = Duration.ofSeconds(15);

  /** Where this agent keeps VM files, and how much guest memory it offers. */
  /**
   * @param memoryDir guest memory files; made private to the agent's user ({@link PrivateDirectory})
   * @param runDir the VMs' control sockets and pid files; private too
   * @param jars where user programs ({@code --jar}) may come from
   */
  public record Settings(String hostName, Path memoryDir, Path runDir, Path logDir, long memoryCapacity, long leaseMillis,
      ProgramJars jars) {
    /** Without user programs (tests of built-in programs). */
    public Settings(String hostName, Path memoryDir, Path runDir, Path logDir, long memoryCapacity, long leaseMillis) {
      this(hostName, memoryDir, runDir, logDir, memoryCapacity, leaseMillis, ProgramJars.none());
    }
  }

  private final Settings settings;
  private final VmLauncher launcher;
  /**
   * The lease deadline this host may give a VM now ({@code Monotonic.millis()}; see {@link
   * #vouchLeasesWith}). Until the agent wires its session guard in: now plus the lease (a VM manager
   * without ZooKeeper, in tests and benchmarks).
   */
  private volatile java.util.function.LongSupplier leaseDeadlines;
  private final EndpointPublisher endpoints;
  private final Ownership ownership;
  /** At most one task per VM runs at a time (the queues), so this is a ceiling for hosts with very many VMs. */
  private final ExecutorService pool = io.roam.common.concurrent.BoundedPools.of("vm-ops", 256);
  /** One queue per VM; each task's log lines carry the VM and this host (LogContext). */
  private final OrderedExecutor queues;
  private final Map<String, Vm> vms = new ConcurrentHashMap<>();

  private final io.roam.agent.cluster.EventSink events;
  private final VmAddresses addresses;

  public VmManager(Settings settings, VmLauncher launcher, EndpointPublisher endpoints, Ownership ownership)
      throws IOException {
    this(settings, launcher, endpoints, ownership, io.roam.agent.cluster.EventSink.NONE);
  }

  /** @param ownership the VM owner records, read before every start and resume */
  public VmManager(Settings settings, VmLauncher launcher, EndpointPublisher endpoints, Ownership ownership,
      io.roam.agent.cluster.EventSink events) throws IOException {
    this(settings, launcher, endpoints, ownership, events,
        VmAddresses.unmanaged(settings.hostName(), "agent.vm-interface is not set"));
  }

  /**
   * @param addresses the VMs' own addresses on this host: attached before a VM's process starts or
   *     its migrated copy resumes, detached whenever a copy stops running here
   */
  public VmManager(Settings settings, VmLauncher launcher, EndpointPublisher endpoints, Ownership ownership,
      io.roam.agent.cluster.EventSink events, VmAddresses addresses) throws IOException {
    this.queues = new OrderedExecutor(pool, vm -> Map.of(io.roam.common.logging.LogContext.VM, vm,
        io.roam.common.logging.LogContext.HOST, settings.hostName()));
    this.addresses = addresses;
    this.events = events;
    this.settings = settings;
    this.launcher = launcher;
    this.leaseDeadlines = () -> Monotonic.millis() + settings.leaseMillis();
    this.endpoints = endpoints;
    this.ownership = ownership;
    PrivateDirectory.ensure(settings.memoryDir(), "memory directory");
    PrivateDirectory.ensure(settings.runDir(), "socket directory");
    Files.createDirectories(settings.logDir());
    deleteStaleMemory();
  }

  /** VMs do not outlive their agent: guest memory left by an earlier run (a crash) is freed. */
  private void deleteStaleMemory() throws IOException {
    try (var stale = Files.newDirectoryStream(settings.memoryDir(), "*.mem")) {
      for (Path f : stale) {
        LOG.warn("deleting guest memory left by an earlier run: {}", f);
        Files.deleteIfExists(f);
      }
    }
  }

  public long memoryCapacity() {
    return settings.memoryCapacity();
  }

  public synchronized long memoryCommitted() {
    return vms.values().stream().mapToLong(v -> v.spec.memoryBytes()).sum();
  }

  // ---- operations ----

  public CompletableFuture<VmView> create(VmSpec spec, long ownerEpoch) {
    Vm vm;
    try {
      vm = reserve(spec, ownerEpoch, "host ");
    } catch (VmOperationException e) {
      return CompletableFuture.failedFuture(e);
    }
    return queues.submit(spec.name(), () -> {
      try {
        long usable = Files.getFileStore(settings.memoryDir()).getUsableSpace();
        if (usable < spec.memoryBytes()) {
          throw new VmOperationException(NO_ROOM, "memory directory " + settings.memoryDir() + " has only "
              + Sizes.format(usable) + " free; VM " + spec.name() + " needs " + Sizes.format(spec.memoryBytes()));
        }
        vm.replaceMemory(GuestMemory.create(vm.memoryFile, spec.memoryBytes()));
        LOG.info("created VM {} ({} program {}, owner epoch {})", spec.name(), Sizes.format(spec.memoryBytes()),
            spec.program(), ownerEpoch);
        return vm.view();
      } catch (RuntimeException | IOException e) {
        vms.remove(spec.name(), vm);
        throw e instanceof VmOperationException ? e : new VmOperationException(INTERNAL, "cannot create VM "
            + spec.name() + ": " + e.getMessage());
      }
    });
  }

  /**
   * Admission: takes the VM's name and guest memory on this host (before its file exists), or
   * refuses with a message naming what is missing.
   */
  private synchronized Vm reserve(VmSpec spec, long ownerEpoch, String hostRole) {
    // Every VM this host ever holds comes through here (created, or incoming by migration): one
    // validation for all, before its name becomes a file name.
    validate(spec);
    if (vms.containsKey(spec.name())) {
      throw new VmOperationException(ALREADY_EXISTS, "VM " + spec.name() + " already exists on host " + settings.hostName());
    }
    long free = settings.memoryCapacity() - memoryCommitted();
    if (spec.memoryBytes() > free) {
      throw new VmOperationException(NO_ROOM, hostRole + settings.hostName() + " has " + Sizes.format(free) + " of "
          + Sizes.format(settings.memoryCapacity()) + " guest memory free; VM " + spec.name() + " needs "
          + Sizes.format(spec.memoryBytes()));
    }
    Vm vm = new Vm(spec, ownerEpoch, settings.memoryDir().resolve(spec.name() + ".mem"),
        settings.runDir().resolve(spec.name() + ".sock"), settings.logDir().resolve(spec.name() + ".log"));
    vms.put(spec.name(), vm);
    return vm;
  }

  /**
   * Boots the VM, but only if its owner record names this host at exactly {@code ownerEpoch}
   * (read on the VM's queue right before the launch); otherwise fails with NOT_OWNER and launches
   * nothing.
   */
  public CompletableFuture<VmView> start(String name, long ownerEpoch) {
    return onVm(name, vm -> {
      switch (vm.state) {
        case RUNNING, PAUSED, STARTING:
          return vm.view(); // starting a running VM is a no-op, so retries are safe
        case STOPPING:
          throw new VmOperationException(BAD_STATE, "VM " + name + " is stopping; start it when it has stopped");
        case INCOMING:
          // Its process is waiting for a migration's memory: a second process on the same memory
          // would be a second copy. The migration commits it or discards it (by the owner record).
          throw new VmOperationException(BAD_STATE, "VM " + name + " is arriving here by live migration; it runs when"
              + " the migration commits, or is discarded and can be started then");
        default:
          break;
      }
      requireOwnership("start", vm, ownerEpoch);
      if (ownerEpoch > 0) {
        untagBeforeBoot(name);
      }
      vm.ownerEpoch = ownerEpoch;
      if (vm.state == VmState.STOPPED || vm.state == VmState.CRASHED) {
        // A fresh boot, as a real machine after power-off: guest memory starts zeroed.
        vm.replaceMemory(null);
        vm.replaceMemory(GuestMemory.create(vm.memoryFile, vm.spec.memoryBytes()));
      }
      long deadline = leaseDeadlines.getAsLong();
      if (deadline <= Monotonic.millis()) {
        throw new VmOperationException(BAD_STATE, "host " + settings.hostName() + " will not start VM " + name
            + ": it has had no ZooKeeper contact within a lease, so it cannot give the VM one; try again when it"
            + " is connected");
      }
      vm.withMemory(m -> {
        m.header().renewLease(deadline);
        return null;
      }, null);
      Files.deleteIfExists(vm.controlSocket);
      vm.exitCode = 0;
      vm.logTail = "";
      vm.leaseExpired = false;
      vm.leaseRevoked = false; // a new process, launched after the ownership check above
      attachAddress(vm); // its program binds the address: it must be here first
      Process p = launcher.launch(vm.spec, vm.memoryFile, vm.controlSocket, vm.logFile, false, vm.ownerEpoch);
      vm.process = p;
      Files.writeString(settings.runDir().resolve(name + ".pid"), Long.toString(p.pid()));
      vm.control = new VmControlClient(vm.controlSocket);
      vm.moveTo(VmState.STARTING);
      p.onExit().thenRun(() -> queues.submit(name, () -> onProcessExit(vm, p)));
      LOG.info("started VM {} as process {}", name, p.pid());
      awaitBoot(vm, p);
      return vm.view();
    });
  }

  public CompletableFuture<VmView> stop(String name) {
    yieldQueue(name, "stop");
    return onVm(name, vm -> {
      if (!vm.state.hasProcess()) {
        return vm.view();
      }
      vm.moveTo(VmState.STOPPING);
      Process p = vm.process;
      try {
        vm.control.call("STOP", CONTROL_TIMEOUT);
      } catch (IOException | VmOperationException e) {
        LOG.warn("VM {} did not take STOP ({}); powering it off", name, e.getMessage());
      }
      if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("VM {} did not stop within {} s; powering it off", name, STOP_TIMEOUT.toSeconds());
      }
      kill(vm);
      vm.moveTo(VmState.STOPPED);
      return vm.view();
    });
  }

  public CompletableFuture<VmView> powerOff(String name) {
    yieldQueue(name, "power-off");
    return onVm(name, vm -> {
      if (vm.state.hasProcess()) {
        kill(vm);
        vm.moveTo(VmState.STOPPED);
        LOG.info("powered off VM {}", name);
      }
      return vm.view();
    });
  }

  public CompletableFuture<VmView> destroy(String name) {
    yieldQueue(name, "destroy");
    return onVm(name, vm -> destroyNow(vm, false));
  }

  /** Kills the VM's process, frees its memory and forgets it. Runs on the VM's queue. */
  private VmView destroyNow(Vm vm, boolean deleteDisk) throws Exception {
    String name = vm.spec.name();
    if (vm.state.hasProcess()) {
      kill(vm);
      vm.moveTo(VmState.STOPPED);
    }
    vm.replaceMemory(null);
    Files.deleteIfExists(vm.memoryFile);
    if (deleteDisk) {
      launcher.deleteDisk(name); // the process is gone: nothing writes there any more
    }
    vms.remove(name, vm);
    LOG.info("destroyed VM {}{}", name, deleteDisk ? " and deleted its disk" : "");
    return vm.view();
  }

  /**
   * The operator deletes the VM: destroyed as by {@link #destroy}, and its disk on the datastore
   * deleted too, so that a new VM of the same name starts empty. (Destroying a migration's source
   * or a stale copy keeps the disk: it belongs to the running copy.)
   *
   * <p>The disk goes even when this host does not know the VM, and the answer is then NOT_FOUND:
   * the master asks another host when the owner's host is down (the datastore is shared), and a
   * VM may have migrated away while this delete waited on its queue. Only the operator's delete
   * comes here (the agent's DestroyVm), never a migration or a reconciliation.
   */
  public CompletableFuture<VmView> delete(String name) {
    String badName = VmSpec.checkName(name);
    if (badName != null) {
      return CompletableFuture.failedFuture(new VmOperationException(INVALID, badName)); // it names a directory
    }
    yieldQueue(name, "delete");
    return queues.submit(name, () -> {
      Vm vm = vms.get(name);
      if (vm != null) {
        return destroyNow(vm, true);
      }
      launcher.deleteDisk(name); // no copy of it runs here: nothing here writes to it
      LOG.info("deleted the disk of VM {}, which this host does not know", name);
      throw new VmOperationException(NOT_FOUND, "no VM named " + name + " on host " + settings.hostName()
          + "; its disk on the datastore, if any, was deleted");
    });
  }

  public VmView describe(String name) {
    return find(name).view();
  }

  /** A piece of the log of a VM on this host (roamctl vm logs); see {@link VmLogReader}. */
  public VmLogReader.Chunk readLog(String name, long offset, int maxBytes, String previousFileId) throws IOException {
    return VmLogReader.read(find(name).logFile, offset, maxBytes, previousFileId);
  }

  public List<VmView> list() {
    List<VmView> out = new ArrayList<>();
    vms.values().forEach(v -> out.add(v.view()));
    out.sort(Comparator.comparing(v -> v.spec().name()));
    return out;
  }

  // ---- migration, source side ----

  /** What a migration may do with the VM it moves; valid only while {@link Migration#run} runs. */
  public interface OutgoingVm {
    VmSpec spec();

    long ownerEpoch();

    GuestMemory memory();

    /** Pauses the VM at a safe point (returns once it is there). */
    void pause() throws IOException;

    void resume() throws IOException;

    void throttle(int percent) throws IOException;

    /**
     * Kills the VM's process (it died, or stopped answering its control channel) and returns
     * whether it exited within {@code wait}: FT hands such a VM to its secondary.
     */
    default boolean killAndAwaitExit(Duration wait) throws InterruptedException {
      return false;
    }

    /**
     * Takes the VM's own address, if it has one, off this host: called once ownership has moved to
     * the destination and before the destination is told to resume, so that at no moment do two
     * hosts hold the address. Never throws.
     */
    default void releaseAddress() {}
  }

  /** A migration's body: returns true when ownership moved to the destination. */
  public interface Migration {
    boolean run(OutgoingVm vm) throws Exception;

    /**
     * Stops the migration from any thread, as soon as it can (fencing: the agent lost its
     * session). It must still decide by the owner record whether ownership moved. Thread-safe.
     */
    default void abort(String why) {}

    /**
     * The VM is to be stopped, powered off or destroyed, and that waits on the VM's queue behind
     * this: an FT protection, which would run until turned off, ends now as if turned off (its
     * output released only once its tag is off the owner record); a migration runs to its end.
     * Thread-safe.
     */
    default void yieldTo(String operation) {}
  }

  /** Asks the VM's running migration or protection, if any, to make way for {@code operation}. */
  private void yieldQueue(String name, String operation) {
    Vm vm = vms.get(name);
    if (vm == null) {
      return;
    }
    Migration running;
    synchronized (vm) {
      running = vm.migration;
    }
    if (running != null) {
      running.yieldTo(operation);
    }
  }

  /**
   * Runs {@code migration} on the VM's queue (so stop, destroy and a second migration wait for it).
   * Moved: the source copy is killed and its memory freed. Not moved (false or an exception): the
   * VM is resumed and unthrottled, unchanged (DESIGN.md invariant 3).
   *
   * @throws VmOperationException at once when the VM is unknown, not running, or already migrating
   */
  public CompletableFuture<Boolean> migrateOut(String name, String migrationId, Migration migration) {
    Vm vm = find(name);
    synchronized (vm) {
      if (vm.state != VmState.RUNNING) {
        throw new VmOperationException(BAD_STATE, "VM " + name + " is " + vm.state.name().toLowerCase(java.util.Locale.ROOT)
            + "; only a running VM can be migrated");
      }
      if (!vm.migrationId.isEmpty()) {
        throw new VmOperationException(BAD_STATE, "VM " + name + " is already migrating (" + vm.migrationId + ")");
      }
      vm.migrationId = migrationId;
      vm.migration = migration;
    }
    return queues.submit(name, () -> {
      boolean moved = false;
      try {
        if (vm.state != VmState.RUNNING || vm.control == null) {
          throw new VmOperationException(BAD_STATE, "VM " + name + " stopped before its migration began");
        }
        moved = vm.withMemory(m -> {
          try {
            return migration.run(outgoing(vm, m));
          } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        }, false);
        return moved;
      } finally {
        if (moved) {
          kill(vm);
          vm.replaceMemory(null);
          Files.deleteIfExists(vm.memoryFile);
          vms.remove(name, vm);
          LOG.info("VM {} migrated away; source copy destroyed", name);
        } else {
          resumeAfterFailedMigration(vm);
        }
        vm.migration = null;
        vm.migrationId = "";
      }
    });
  }

  /**
   * The migration says ownership did not move; the owner record decides whether the source copy
   * may run again (DESIGN.md invariant 1): it resumes only if the record still names this host at
   * its epoch. If it names another host the copy is destroyed; if it cannot be read, or fencing
   * took the VM's lease, the copy is powered off, never resumed. Runs on the VM's queue.
   */
  private void resumeAfterFailedMigration(Vm vm) throws Exception {
    String name = vm.spec.name();
    if (vm.leaseRevoked || vm.control == null) {
      LOG.warn("VM {}: fenced or stopped during its migration; not resuming it", name);
      powerOffNow(vm);
      return;
    }
    Optional<Ownership.Owner> owner;
    try {
      owner = ownership.read(name);
    } catch (Exception e) {
      LOG.error("VM {}: cannot read its owner record after a failed migration ({}); powering it off, not resuming it",
          name, e.toString());
      powerOffNow(vm);
      return;
    }
    Optional<String> refusal = OwnershipDecisions.refusalToRun("resume", name, owner, settings.hostName(), vm.ownerEpoch);
    if (refusal.isPresent()) {
      LOG.error("{}; destroying the source copy after the failed migration", refusal.get());
      kill(vm);
      vm.replaceMemory(null);
      Files.deleteIfExists(vm.memoryFile);
      vms.remove(name, vm);
      events.event("vm.stale-copy-destroyed", name, refusal.get());
      return;
    }
    try {
      vm.control.call("THROTTLE 0", CONTROL_TIMEOUT);
      vm.control.call("RESUME", CONTROL_TIMEOUT);
    } catch (IOException | RuntimeException e) {
      LOG.warn("VM {}: could not resume after a failed migration: {}", name, e.toString());
    }
  }

  private OutgoingVm outgoing(Vm vm, GuestMemory memory) {
    return new OutgoingVm() {
      @Override
      public VmSpec spec() {
        return vm.spec;
      }

      @Override
      public long ownerEpoch() {
        return vm.ownerEpoch;
      }

      @Override
      public GuestMemory memory() {
        return memory;
      }

      @Override
      public void pause() throws IOException {
        vm.control.call("PAUSE", Duration.ofSeconds(10));
      }

      @Override
      public void resume() throws IOException {
        vm.control.call("RESUME", CONTROL_TIMEOUT);
      }

      @Override
      public void throttle(int percent) throws IOException {
        vm.control.call("THROTTLE " + percent, CONTROL_TIMEOUT);
        vm.throttlePercent = percent;
      }

      @Override
      public boolean killAndAwaitExit(Duration wait) throws InterruptedException {
        Process p = vm.process;
        if (p == null) {
          return true;
        }
        p.destroyForcibly();
        return p.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS);
      }

      @Override
      public void releaseAddress() {
        detachAddress(vm);
      }
    };
  }

  // ---- migration, destination side ----

  /**
   * Readies this host to receive a VM: admission, a fresh guest memory file (its pages are allocated
   * as they arrive, GuestMemory.writePages), and the VM's JVM launched; it reaches WAITING during the
   * copy ({@link #awaitIncomingReady}), so neither allocation nor JVM start-up lands in the pause.
   */
  public CompletableFuture<VmView> prepareIncoming(VmSpec spec, long ownerEpoch) {
    return prepareIncomingTimed(spec, ownerEpoch).thenApply(PreparedIncoming::view);
  }

  /** What {@link #prepareIncomingTimed} did, and how long each part took (microseconds). */
  public record PreparedIncoming(VmView view, long memoryFileMicros, long jvmMicros) {}

  /** As {@link #prepareIncoming}, with the time of each part (for the migration's phases). */
  public CompletableFuture<PreparedIncoming> prepareIncomingTimed(VmSpec spec, long ownerEpoch) {
    Vm vm;
    try {
      vm = reserve(spec, ownerEpoch, "destination host ");
    } catch (VmOperationException e) {
      return CompletableFuture.failedFuture(e);
    }
    return queues.submit(spec.name(), () -> {
      try {
        long t0 = System.nanoTime();
        GuestMemory m = GuestMemory.create(vm.memoryFile, spec.memoryBytes());
        long created = System.nanoTime();
        // No pre-touch: the receiver writes pages into the file (GuestMemory.writePages), which
        // allocates tmpfs pages as they arrive, overlapped with the copy instead of before it.
        // A waiting VM does not step; this lease counts once GO resumes it (and renewals keep it).
        m.header().renewLease(leaseDeadlines.getAsLong());
        vm.replaceMemory(m);
        Files.deleteIfExists(vm.controlSocket);
        Process p = launcher.launch(vm.spec, vm.memoryFile, vm.controlSocket, vm.logFile, true);
        vm.process = p;
        Files.writeString(settings.runDir().resolve(spec.name() + ".pid"), Long.toString(p.pid()));
        vm.control = new VmControlClient(vm.controlSocket);
        vm.moveTo(VmState.INCOMING);
        p.onExit().thenRun(() -> queues.submit(spec.name(), () -> onProcessExit(vm, p)));
        // The JVM boots while the pages arrive, not before the first one is sent: the wait for
        // WAITING is the next task on the VM's queue (so a commit, behind it, finds the VM waiting),
        // and the receiver says VERIFIED only after it (awaitIncomingReady).
        vm.incomingReady = queues.submit(spec.name(), () -> {
          try {
            awaitRuntimeState(vm, p, "WAITING");
            return (Void) null;
          } catch (Exception | Error e) {
            discard(vm); // as a failed prepare: nothing of the VM stays here
            throw e;
          }
        });
        return new PreparedIncoming(vm.view(), (created - t0) / 1000, (System.nanoTime() - created) / 1000);
      } catch (Exception | Error e) {
        discard(vm);
        throw e;
      }
    });
  }

  /**
   * Completes when the incoming VM's JVM, launched by the prepare, is WAITING for the memory;
   * fails if it exited or did not get there within the boot timeout.
   */
  public CompletableFuture<Void> awaitIncomingReady(String name) {
    Vm vm = vms.get(name);
    CompletableFuture<Void> ready = vm == null ? null : vm.incomingReady;
    return ready != null ? ready
        : CompletableFuture.failedFuture(new VmOperationException(NOT_FOUND, "no incoming VM named " + name));
  }

  /** Runs {@code f} on the memory of an incoming VM (the receiver writes pages through it). */
  public <T> T withIncomingMemory(String name, java.util.function.Function<GuestMemory, T> f) {
    Vm vm = find(name);
    if (vm.state != VmState.INCOMING) {
      throw new VmOperationException(BAD_STATE, "VM " + name + " is not an incoming VM");
    }
    return vm.withMemory(f, null);
  }

  /** Ownership is ours: the waiting VM resumes its program from the memory that arrived. */
  public CompletableFuture<VmView> commitIncoming(String name, long ownerEpoch, String migrationTag) {
    return commitIncomingTimed(name, ownerEpoch, migrationTag).thenApply(CommittedIncoming::view);
  }

  /** The resumed VM, and how long its GO call took (microseconds; the rest was address and polling). */
  public record CommittedIncoming(VmView view, long goMicros) {}

  /** As {@link #commitIncoming}, with the time of the GO call (for the migration's phases). */
  public CompletableFuture<CommittedIncoming> commitIncomingTimed(String name, long ownerEpoch, String migrationTag) {
    return queues.submit(name, () -> {
      Vm vm = find(name);
      if (vm.state != VmState.INCOMING) {
        throw new VmOperationException(BAD_STATE, "VM " + name + " is not an incoming VM");
      }
      requireOwnership("resume", vm, ownerEpoch, migrationTag);
      vm.ownerEpoch = ownerEpoch;
      long t0 = System.nanoTime();
      long goAt = t0;
      if (vm.spec.hasAddress()) {
        // Ownership is ours and the source has taken the address off its host (Migrator, right after
        // the compare-and-set): add and announce it here before the program resumes and binds it.
        // A failure cannot give the VM back to the source any more: the program then fails to bind
        // and crashes, which HA sees and restarts.
        try {
          addresses.attach(vm.spec.name(), VmAddress.parse(vm.spec.address()));
          vm.addressHeld.set(true);
        } catch (IOException e) {
          LOG.error("VM {}: cannot add its address {} here after migration: {}", name, vm.spec.address(), e.getMessage());
          events.event("vm.address-failed", name, "cannot add address " + vm.spec.address() + ": " + e.getMessage());
        }
      }
      goAt = System.nanoTime();
      boolean running = false;
      try {
        // The program fences its disk with the new epoch before it serves: one force, which a slow
        // datastore can stretch past any short control timeout.
        running = applyResumed(vm, VmControlClient.parseFields(vm.control.call("GO " + ownerEpoch, GO_TIMEOUT)));
      } catch (VmOperationException e) {
        if (!e.getMessage().contains("still ")) {
          throw e;
        }
        // still resuming: wait for it below, up to the boot timeout
      }
      long t1 = System.nanoTime();
      if (!running) {
        awaitRuntimeState(vm, vm.process, "RUNNING"); // GO's answer came before the program ran
      }
      LOG.info("VM {} resumed here after migration (owner epoch {}; GO {} us, running after {} us)", name, ownerEpoch,
          (t1 - t0) / 1000, (System.nanoTime() - t1) / 1000);
      return new CommittedIncoming(vm.view(), (t1 - goAt) / 1000);
    });
  }

  /** The migration failed before ownership moved: forget the incoming VM. */
  public CompletableFuture<VmView> discardIncoming(String name) {
    return onVm(name, vm -> {
      if (vm.state != VmState.INCOMING) {
        throw new VmOperationException(BAD_STATE, "VM " + name + " is not an incoming VM; not discarding it");
      }
      discard(vm);
      return vm.view();
    });
  }

  private void discard(Vm vm) throws InterruptedException, IOException {
    kill(vm);
    vm.replaceMemory(null);
    Files.deleteIfExists(vm.memoryFile);
    vms.remove(vm.spec.name(), vm);
    LOG.info("discarded incoming VM {}", vm.spec.name());
  }

  private void awaitRuntimeState(Vm vm, Process p, String wanted) throws Exception {
    if (!awaitRuntimeState(vm, p, wanted::equals)) {
      throw new VmOperationException(INTERNAL, "VM " + vm.spec.name() + " did not reach " + wanted + " within "
          + BOOT_TIMEOUT.toSeconds() + " s");
    }
  }

  // ---- fencing ----

  /**
   * The isolation response when the session is lost: every VM process of this host stops now.
   *
   * <p>Nothing here waits on a VM's queue, where a long migration may hold it: first every VM's
   * lease is revoked (renewal skips it from now on, so a copy that cannot be confirmed stopped
   * still pauses itself when its lease runs out, and stays paused), then migrations in flight are
   * aborted (they settle by the owner record), then every VM process is killed directly. The
   * queues catch up afterwards (the VMs become STOPPED). Returns the VMs not confirmed stopped.
   * Thread-safe.
   */
  public List<String> powerOffAll(String why) {
    List<Vm> all = new ArrayList<>(vms.values());
    all.forEach(vm -> vm.leaseRevoked = true);
    for (Vm vm : all) {
      Migration m = vm.migration;
      if (m != null) {
        m.abort("the agent is fencing itself: " + why);
      }
    }
    List<Process> killed = new ArrayList<>();
    for (Vm vm : all) {
      Process p = vm.process;
      if (p != null) {
        p.destroyForcibly();
        killed.add(p);
        events.event("vm.fenced", vm.spec.name(), "powered off: " + why);
      }
      detachAddress(vm); // the VM may run elsewhere soon: this host must stop answering for it
    }
    List<String> unconfirmed = new ArrayList<>();
    for (Vm vm : all) {
      Process p = vm.process;
      try {
        if (p != null && killed.contains(p) && !p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          unconfirmed.add(vm.spec.name());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        unconfirmed.add(vm.spec.name());
      }
      queues.submit(vm.spec.name(), () -> {
        if (vm.leaseRevoked) {
          powerOffNow(vm);
        }
        return null;
      });
    }
    if (!unconfirmed.isEmpty()) {
      LOG.error("fencing could not confirm that VM(s) {} stopped; their leases are never renewed again", unconfirmed);
    }
    return unconfirmed;
  }

  /** Whether {@code owner} makes this host's copy of {@code vm} stale: gone, another host, or a newer epoch. */
  private boolean ownedElsewhere(Optional<Ownership.Owner> owner, Vm vm) {
    return owner.isEmpty() || !owner.get().host().equals(settings.hostName()) || owner.get().epoch() > vm.ownerEpoch;
  }

  /** Destroys, without running them, the VMs whose ownership record no longer names this host. */
  public void destroyNotOwned(io.roam.agent.migration.Ownership ownership) {
    for (Vm vm : new ArrayList<>(vms.values())) {
      try {
        var owner = ownership.read(vm.spec.name());
        if (ownedElsewhere(owner, vm)) {
          LOG.warn("VM {} is owned by {} now; destroying the stale copy here", vm.spec.name(),
              owner.map(o -> o.host() + " at epoch " + o.epoch()).orElse("nobody"));
          destroy(vm.spec.name()).get(STOP_TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS);
          events.event("vm.stale-copy-destroyed", vm.spec.name(), "ownership moved to "
              + owner.map(o -> o.host()).orElse("nobody") + "; this copy was destroyed without running");
        }
      } catch (Exception e) {
        LOG.warn("reconciling VM {}: {}", vm.spec.name(), e.toString());
      }
    }
  }

  /**
   * Makes every first lease this manager gives (a start, an incoming migration's VM) come from
   * {@code deadlines}, as the renewals do: the agent passes its session guard's deadline, anchored at
   * the last ZooKeeper contact, so that no VM, however late it starts after that contact, holds a
   * lease past contact + lease (the instant the leader's failover counts from, LeaseRule). A
   * deadline already past (no contact within a lease, a host being fenced) refuses a start.
   */
  public void vouchLeasesWith(java.util.function.LongSupplier deadlines) {
    this.leaseDeadlines = deadlines;
  }

  // ---- periodic work, called by the agent's scheduler ----

  /** Sets every running VM's lease deadline ({@code Monotonic.millis()}) to {@code deadline}, revoked ones excepted. */
  public void renewLeases(long deadline) {
    for (Vm vm : vms.values()) {
      if (vm.state.hasProcess() && !vm.leaseRevoked) {
        vm.withMemory(m -> {
          m.header().renewLease(deadline);
          return null;
        }, null);
      }
    }
  }

  /**
   * Destroys (keeping the disk) each crashed copy whose owner record now names another host or a
   * newer epoch: an FT primary that crashed was failed over to its secondary, and its dead copy
   * here would hold its memory and refuse the VM's return to this host (a new secondary, a
   * migration) as "already exists". Checked again on the VM's queue, so that a start that got there
   * first (a new owner epoch here) is never undone. Called periodically; reads the record only for
   * crashed VMs.
   */
  public void destroyCrashedCopiesOwnedElsewhere() {
    for (Vm seen : new ArrayList<>(vms.values())) {
      if (seen.state != VmState.CRASHED) {
        continue;
      }
      String name = seen.spec.name();
      queues.submit(name, () -> {
        Vm vm = vms.get(name);
        if (vm != seen || vm.state != VmState.CRASHED) {
          return null;
        }
        Optional<Ownership.Owner> owner = ownership.read(name);
        if (!ownedElsewhere(owner, vm)) {
          return null; // still ours: HA restarts it here, or fails it over (a crashed FT primary)
        }
        String now = owner.map(o -> o.host() + " at epoch " + o.epoch()).orElse("nobody");
        LOG.warn("VM {} crashed here and is owned by {} now; destroying the dead copy", name, now);
        destroyNow(vm, false);
        events.event("vm.stale-copy-destroyed", name, "the VM crashed here and is owned by " + now
            + "; the dead copy was destroyed");
        return null;
      });
    }
  }

  /** Asks every VM process for its statistics; never blocks on a frozen VM for long. */
  public void pollStats() {
    for (Vm vm : vms.values()) {
      if (vm.state == VmState.RUNNING || vm.state == VmState.PAUSED) {
        queues.submit(vm.spec.name(), () -> {
          if (vm.state == VmState.RUNNING || vm.state == VmState.PAUSED) {
            try {
              applyStats(vm, VmControlClient.parseFields(vm.control.call("STATS", CONTROL_TIMEOUT)));
            } catch (IOException | RuntimeException e) {
              LOG.debug("stats of VM {}: {}", vm.spec.name(), e.toString());
            }
          }
          return null;
        });
      }
    }
  }

  /**
   * Estimates each VM's dirty page rate by harvesting its dirty log. Outside a migration nobody
   * else consumes the log, so clearing it here is harmless; a migrating VM is skipped.
   */
  public void sampleDirtyRates() {
    long now = System.nanoTime();
    for (Vm vm : vms.values()) {
      DirtyPages d;
      synchronized (vm) {
        // A migration owns the dirty log while it runs: a harvest here would steal the bits of
        // pages it still has to send. migrateOut sets migrationId under this same lock.
        if (!vm.migrationId.isEmpty()) {
          continue;
        }
        d = vm.state.hasProcess() ? vm.withMemory(m -> m.dirtyLog().harvest(), null) : null;
      }
      if (d == null) {
        vm.dirtyPagesPerSecond = 0;
        continue;
      }
      long last = vm.lastDirtySampleNanos;
      vm.lastDirtySampleNanos = now;
      if (last != 0) {
        vm.dirtyPagesPerSecond = d.count() * 1e9 / Math.max(1, now - last);
      }
    }
  }

  // ---- internals ----

  /**
   * A boot starts the VM from nothing: an FT secondary the owner record still names (a crashed or
   * fenced primary leaves its tag for the leader's failover) holds memory from before it, and must
   * never be promoted once this copy has answered anyone. The tag comes off first, by
   * compare-and-set from the version read (which also fences a failover decided on the old
   * version); when the record changed meanwhile, the start is refused and may be tried again.
   */
  private void untagBeforeBoot(String name) throws Exception {
    Optional<Ownership.Owner> o = ownership.readLatest(name);
    if (o.isEmpty() || !o.get().migration().startsWith(io.roam.common.model.OwnerRecord.FT_PREFIX)) {
      return;
    }
    boolean untagged = false;
    try {
      untagged = ownership.compareAndSet(name, o.get().version(), o.get().host(), o.get().epoch(), "");
    } catch (Exception e) {
      LOG.warn("VM {}: taking the FT tag off its owner record has no clear answer ({}); reading it back", name,
          e.toString());
    }
    Optional<Ownership.Owner> now = untagged ? Optional.empty() : ownership.readLatest(name);
    if (!untagged && now.isPresent() && now.get().migration().startsWith(io.roam.common.model.OwnerRecord.FT_PREFIX)) {
      throw new VmOperationException(BAD_STATE, "VM " + name + ": its owner record changed while this host took its"
          + " FT tag off before a boot; not starting it (try again)");
    }
    LOG.info("VM {}: the FT tag is off its owner record before a boot (its secondary's memory is older)", name);
  }

  /**
   * Reads the VM's owner record now and fails with NOT_OWNER unless it names this host at exactly
   * {@code epoch}. Called on the VM's queue, right before the process is launched or resumed.
   */
  private void requireOwnership(String action, Vm vm, long epoch) throws Exception {
    requireOwnership(action, vm, epoch, null);
  }

  /**
   * @param migrationTag for a migration's destination: the record must carry this migration's tag,
   *     or it was written by someone else (HA) and this copy's memory is older than what ran since
   */
  private void requireOwnership(String action, Vm vm, long epoch, String migrationTag) throws Exception {
    if (epoch <= 0) {
      refuseIfPresent(refusalToRun(action, vm, Optional.empty(), epoch, migrationTag));
      return;
    }
    Optional<String> refusal = refusalToRun(action, vm, ownership.read(vm.spec.name()), epoch, migrationTag);
    if (refusal.isPresent()) {
      // Refuse only on the latest record: the server this agent reads from may not yet have the
      // write that made this host the owner (the source's compare-and-set before its COMMIT, HA's
      // before its start), and refusing then would leave the rightful copy unstarted.
      refusal = refusalToRun(action, vm, ownership.readLatest(vm.spec.name()), epoch, migrationTag);
    }
    refuseIfPresent(refusal);
  }

  private Optional<String> refusalToRun(String action, Vm vm, Optional<Ownership.Owner> record, long epoch,
      String migrationTag) {
    Optional<String> refusal = OwnershipDecisions.refusalToRun(action, vm.spec.name(), record, settings.hostName(), epoch);
    if (refusal.isEmpty() && migrationTag != null && !record.get().migration().equals(migrationTag)) {
      refusal = Optional.of("host " + settings.hostName() + " will not resume VM " + vm.spec.name() + " at owner epoch "
          + epoch + ": its owner record was not written by this migration (HA moved it here meanwhile)");
    }
    return refusal;
  }

  private static void refuseIfPresent(Optional<String> refusal) {
    if (refusal.isPresent()) {
      LOG.warn("{}", refusal.get());
      throw new VmOperationException(NOT_OWNER, refusal.get());
    }
  }

  private void validate(VmSpec spec) {
    String badName = VmSpec.checkName(spec.name());
    if (badName != null) {
      throw new VmOperationException(INVALID, badName);
    }
    try {
      MemoryLayout.checkSize(spec.memoryBytes());
    } catch (GuestMemoryException e) {
      throw new VmOperationException(INVALID, e.getMessage());
    }
    if (spec.hasAddress()) {
      try {
        VmAddress.parse(spec.address());
      } catch (IllegalArgumentException e) {
        throw new VmOperationException(INVALID, "VM " + spec.name() + ": address " + e.getMessage());
      }
      Optional<String> refusal = addresses.refusal(spec.name(), spec.address());
      if (refusal.isPresent()) {
        throw new VmOperationException(BAD_STATE, refusal.get());
      }
    }
    if (spec.programJar().isEmpty()) {
      if (!Programs.isBuiltIn(spec.program())) {
        throw new VmOperationException(INVALID, "unknown program '" + spec.program() + "'; built-in programs are "
            + Programs.builtInNames() + ", or give a class name with --jar");
      }
    } else {
      String badJar = settings.jars().problem(spec.programJar(), settings.hostName());
      if (badJar != null) {
        throw new VmOperationException(INVALID, badJar);
      }
    }
  }

  /** Waits until the VM has booted; a VM still booting after the timeout is left STARTING. */
  /**
   * Waits until the VM has left BOOTING: asks BOOTED, which the VM answers when it has (or after
   * {@link #BOOTED_WAIT}), instead of polling STATS every 10 ms, which cost both processes CPU that
   * a host restarting many VMs at once needs; before the VM listens on its control socket, and if
   * it ever refuses BOOTED, it polls as before.
   */
  private void awaitBoot(Vm vm, Process p) throws Exception {
    long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline && p.isAlive()) {
      if (!Files.exists(vm.controlSocket)) {
        Thread.sleep(10);
        continue;
      }
      try {
        Map<String, String> stats = VmControlClient.parseFields(vm.control.call("BOOTED " + BOOTED_WAIT.toMillis(),
            BOOTED_WAIT.plus(CONTROL_TIMEOUT)));
        if (!stats.getOrDefault("state", "").equals("BOOTING")) {
          applyStats(vm, stats);
          return;
        }
      } catch (VmOperationException refused) {
        pollBoot(vm, p); // a VM that does not know BOOTED
        return;
      } catch (IOException e) {
        Thread.sleep(10); // not listening yet
      }
    }
    pollBoot(vm, p); // a process that died is reported crashed, with its log, from there
  }

  private void pollBoot(Vm vm, Process p) throws Exception {
    if (!awaitRuntimeState(vm, p, state -> !state.equals("BOOTING"))) {
      LOG.warn("VM {} still booting after {} s", vm.spec.name(), BOOT_TIMEOUT.toSeconds());
    }
  }

  /**
   * Polls the VM's runtime state until {@code reached} accepts it (then applies its statistics,
   * unless it is still WAITING) and returns true; false after the boot timeout. A process that
   * exits meanwhile is marked crashed and reported with its log.
   */
  private boolean awaitRuntimeState(Vm vm, Process p, java.util.function.Predicate<String> reached) throws Exception {
    long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        p.waitFor();
        markCrashed(vm, p);
        throw new VmOperationException(BAD_STATE, "VM " + vm.spec.name() + " exited with code " + p.exitValue()
            + "; last log lines:\n" + vm.logTail);
      }
      if (Files.exists(vm.controlSocket)) {
        try {
          Map<String, String> stats = VmControlClient.parseFields(vm.control.call("STATS", CONTROL_TIMEOUT));
          String state = stats.getOrDefault("state", "");
          if (reached.test(state)) {
            if (!state.equals("WAITING")) {
              applyStats(vm, stats);
            }
            return true;
          }
        } catch (IOException e) {
          // not listening yet
        }
      }
      Thread.sleep(10);
    }
    return false;
  }

  /**
   * Takes GO's answer ({@code state=RUNNING endpoint=...}): the VM runs, without a STATS round trip
   * inside the pause (in a JVM that has just resumed, that call cost 2-6 ms of the pause). Returns
   * whether it said RUNNING; the rest of the statistics come with the next regular poll.
   */
  private boolean applyResumed(Vm vm, Map<String, String> answer) {
    if (!"RUNNING".equals(answer.get("state"))) {
      return false;
    }
    vm.moveTo(VmState.RUNNING);
    String ep = answer.get("endpoint");
    if (ep != null && !ep.equals(vm.endpoint)) {
      vm.endpoint = ep;
      endpoints.publish(vm.spec.name(), ep);
    }
    return true;
  }

  private void applyStats(Vm vm, Map<String, String> s) {
    vm.steps = parseLong(s.get("steps"));
    vm.cpuNanos = parseLong(s.get("cpuNanos"));
    vm.cpuWaitNanos = parseLong(s.get("cpuWaitNanos")); // 0 from a guest that does not report it
    vm.throttlePercent = (int) parseLong(s.get("throttle"));
    String runtimeState = s.getOrDefault("state", "");
    vm.leaseExpired = runtimeState.equals("LEASE_EXPIRED");
    VmState next = switch (runtimeState) {
      case "RUNNING" -> VmState.RUNNING;
      case "PAUSED", "LEASE_EXPIRED" -> VmState.PAUSED;
      default -> vm.state;
    };
    if (vm.state.hasProcess() && vm.state != VmState.STOPPING && vm.state != next) {
      vm.moveTo(next);
    }
    String ep = s.get("endpoint");
    if (ep != null && !ep.equals(vm.endpoint)) {
      vm.endpoint = ep;
      endpoints.publish(vm.spec.name(), ep);
    }
  }

  private Void onProcessExit(Vm vm, Process p) throws InterruptedException {
    if (vm.process != p) {
      return null; // already handled by stop or power off
    }
    if (vm.leaseRevoked) {
      powerOffNow(vm); // fencing killed it: powered off, not crashed
      return null;
    }
    markCrashed(vm, p);
    LOG.warn("VM {} crashed with exit code {}", vm.spec.name(), vm.exitCode);
    events.event("vm.crashed", vm.spec.name(), "the VM process exited with code " + vm.exitCode);
    return null;
  }

  private void markCrashed(Vm vm, Process p) {
    vm.exitCode = p.exitValue();
    vm.logTail = VmLauncher.tail(vm.logFile, 20);
    vm.process = null;
    closeControl(vm);
    if (vm.state != VmState.CRASHED) {
      vm.moveTo(VmState.CRASHED);
    }
    withdrawEndpoint(vm);
    detachAddress(vm);
  }

  /** Kills the VM's process, if it has one, and marks it STOPPED. Runs on the VM's queue. */
  private void powerOffNow(Vm vm) throws InterruptedException {
    if (vm.state.hasProcess()) {
      kill(vm);
      vm.moveTo(VmState.STOPPED);
    }
  }

  private void kill(Vm vm) throws InterruptedException {
    Process p = vm.process;
    vm.process = null; // tells onProcessExit that this exit was asked for
    if (p != null) {
      p.destroyForcibly();
      p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      vm.exitCode = p.isAlive() ? -1 : p.exitValue();
    }
    closeControl(vm);
    withdrawEndpoint(vm);
    detachAddress(vm);
  }

  /**
   * Adds the VM's address, if it has one, before its process starts. Fails the start (nothing is
   * launched) when the address cannot be added. Runs on the VM's queue.
   */
  private void attachAddress(Vm vm) {
    if (!vm.spec.hasAddress()) {
      return;
    }
    try {
      addresses.attach(vm.spec.name(), VmAddress.parse(vm.spec.address()));
      vm.addressHeld.set(true);
    } catch (IOException e) {
      throw new VmOperationException(INTERNAL, "cannot start VM " + vm.spec.name() + ": its address "
          + vm.spec.address() + " could not be added on host " + settings.hostName() + ": " + e.getMessage());
    }
  }

  /**
   * Removes the VM's address, if it has one, from this host: its copy here no longer runs (killed,
   * crashed, fenced) or has handed the VM to a migration's destination. Only a copy that added it
   * removes it (a discarded incoming copy never had it). Idempotent, never throws; thread-safe
   * (fencing calls it off the VM's queue).
   */
  private void detachAddress(Vm vm) {
    if (vm.spec.hasAddress() && vm.addressHeld.getAndSet(false)) {
      addresses.detach(vm.spec.name(), VmAddress.parse(vm.spec.address()));
    }
  }

  private void closeControl(Vm vm) {
    VmControlClient c = vm.control;
    if (c != null) {
      c.close();
    }
  }

  private void withdrawEndpoint(Vm vm) {
    String ep = vm.endpoint;
    if (ep != null) {
      vm.endpoint = null;
      endpoints.withdraw(vm.spec.name(), ep);
    }
  }

  private Vm find(String name) {
    Vm vm = vms.get(name);
    if (vm == null) {
      throw new VmOperationException(NOT_FOUND, "no VM named " + name + " on host " + settings.hostName());
    }
    return vm;
  }

  private interface VmTask {
    VmView run(Vm vm) throws Exception;
  }

  private CompletableFuture<VmView> onVm(String name, VmTask task) {
    return queues.submit(name, () -> {
      Vm vm = find(name);
      return task.run(vm);
    });
  }

  private static long parseLong(String s) {
    try {
      return s == null ? 0 : Long.parseLong(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Powers off every VM (the agent is going away) and waits for it. */
  @Override
  public void close() {
    List<CompletableFuture<VmView>> offs = new ArrayList<>();
    for (String name : vms.keySet()) {
      offs.add(powerOff(name));
    }
    for (CompletableFuture<VmView> f : offs) {
      try {
        f.get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("power off at shutdown: {}", e.toString());
      }
    }
    for (Vm vm : vms.values()) {
      vm.replaceMemory(null);
      try {
        Files.deleteIfExists(vm.memoryFile); // powered off: its memory is gone, as on a real host
      } catch (IOException e) {
        LOG.warn("cannot delete {}: {}", vm.memoryFile, e.toString());
      }
    }
    pool.shutdownNow();
  }
}
