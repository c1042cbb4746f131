package io.roam.agent.vm;

import io.roam.agent.memory.GuestMemory;
import io.roam.common.model.VmSpec;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * One VM on this agent. Mutable fields are changed only by tasks of the VM's own queue in {@link
 * VmManager}; readers on other threads see them through volatile fields.
 */
final class Vm {
  final VmSpec spec;
  final Path memoryFile;
  final Path controlSocket;
  final Path logFile;

  volatile long ownerEpoch;
  volatile VmState state = VmState.CREATED;
  /** Guest memory, mapped by the agent; see {@link #withMemory} for why access is locked. */
  private GuestMemory memory;
  private final ReentrantReadWriteLock memoryLock = new ReentrantReadWriteLock();
  volatile Process process;
  volatile VmControlClient control;
  volatile int exitCode;
  volatile String logTail = "";
  volatile String endpoint;
  volatile boolean leaseExpired;
  volatile int throttlePercent;
  /** This copy put the VM's own address on this host and has not taken it off yet. */
  final java.util.concurrent.atomic.AtomicBoolean addressHeld = new java.util.concurrent.atomic.AtomicBoolean();
  volatile long steps;
  volatile long cpuNanos;
  /** Time the VM's threads waited for a CPU; with cpuNanos, its CPU demand. */
  volatile long cpuWaitNanos;
  volatile double dirtyPagesPerSecond;
  /**
   * Set while this VM is the source of a migration; a second one is refused. Written under the
   * Vm's monitor, which the dirty-rate sampler also holds when it harvests.
   */
  volatile String migrationId = "";
  volatile long lastDirtySampleNanos;
  /** The migration running while {@link #migrationId} is set, so that fencing can abort it. */
  volatile VmManager.Migration migration;
  /**
   * Set by fencing: this VM's current process gets no lease renewal ever again, whether or not
   * fencing could confirm it stopped. Only a new process, launched after an ownership check,
   * clears it.
   */
  volatile boolean leaseRevoked;
  /**
   * An incoming VM's JVM reaching WAITING: launched by the prepare, awaited on the VM's queue while
   * the pages arrive; the destination says VERIFIED only once it completed (so a JVM that fails
   * to start fails the migration before ownership moves). Null for other VMs.
   */
  volatile java.util.concurrent.CompletableFuture<Void> incomingReady;

  Vm(VmSpec spec, long ownerEpoch, Path memoryFile, Path controlSocket, Path logFile) {
    this.spec = spec;
    this.ownerEpoch = ownerEpoch;
    this.memoryFile = memoryFile;
    this.controlSocket = controlSocket;
    this.logFile = logFile;
  }

  void moveTo(VmState next) {
    if (!state.canMoveTo(next)) {
      throw new IllegalStateException("VM " + spec.name() + ": illegal transition " + state + " -> " + next);
    }
    state = next;
  }

  /**
   * Runs {@code f} on the mapped memory, or returns {@code ifUnmapped}. Unmapping memory that
   * another thread still reads crashes the JVM, so readers (lease renewal, sampling, describe)
   * hold the read lock and {@link #replaceMemory} takes the write lock.
   */
  <T> T withMemory(Function<GuestMemory, T> f, T ifUnmapped) {
    memoryLock.readLock().lock();
    try {
      return memory == null ? ifUnmapped : f.apply(memory);
    } finally {
      memoryLock.readLock().unlock();
    }
  }

  /** Unmaps the current memory (if any) and installs {@code next} (may be null). */
  void replaceMemory(GuestMemory next) {
    memoryLock.writeLock().lock();
    try {
      if (memory != null) {
        memory.close();
      }
      memory = next;
    } finally {
      memoryLock.writeLock().unlock();
    }
  }

  VmView view() {
    Process p = process;
    return new VmView(spec, state, cpuNanos, cpuWaitNanos, steps, withMemory(m -> m.header().heartbeat(), 0L),
        dirtyPagesPerSecond, endpoint, exitCode, state == VmState.CRASHED ? logTail : "", ownerEpoch, leaseExpired,
        throttlePercent, p == null ? 0 : p.pid(), migrationId);
  }
}
