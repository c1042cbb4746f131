package io.roam.agent.vm;

import io.roam.agent.memory.GuestMemory;
import io.roam.common.model.VmSpec;
import java.nio.file.Path;

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
  volatile GuestMemory memory;
  volatile Process process;
  volatile VmControlClient control;
  volatile int exitCode;
  volatile String logTail = "";
  volatile String endpoint;
  volatile boolean leaseExpired;
  volatile int throttlePercent;
  volatile long steps;
  volatile long cpuNanos;
  volatile double dirtyPagesPerSecond;
  volatile long lastDirtySampleNanos;

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

  VmView view() {
    GuestMemory m = memory;
    Process p = process;
    return new VmView(spec, state, cpuNanos, steps, m == null ? 0 : m.header().heartbeat(), dirtyPagesPerSecond, endpoint,
        exitCode, state == VmState.CRASHED ? logTail : "", ownerEpoch, leaseExpired, throttlePercent,
        p == null ? 0 : p.pid());
  }
}
