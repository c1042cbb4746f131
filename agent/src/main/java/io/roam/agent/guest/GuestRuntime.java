package io.roam.agent.guest;

import io.roam.agent.memory.GuestMemory;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The step loop of a VM: calls the program's {@link GuestProgram#step} over and over, and between
 * two steps (a safe point) obeys pause, resume, throttle and stop, and checks the lease.
 *
 * <pre>
 *   WAITING ── go ──┐        (an incoming migration: the JVM is up before its memory has arrived)
 *                   ▼
 *             boot/resume
 *   BOOTING ─────────────▶ RUNNING ◀──── resume / lease renewed ────┐
 *                            │  │                                   │
 *                      pause │  │ lease expired                     │
 *                            ▼  ▼                                   │
 *                   PAUSED   LEASE_EXPIRED ─────────────────────────┘
 *        any state ── stop ──▶ STOPPED
 * </pre>
 *
 * A pause is acknowledged only once the loop is at a safe point: {@link #pause} returns after the
 * step in progress finished. When the lease word in the shared header is in the past, the loop
 * stops stepping by itself (DESIGN.md invariant 4) and goes on when the agent renews it.
 *
 * <p>Thread-safety: {@link #run} runs on one thread; the control methods may be called from any.
 */
public final class GuestRuntime {
  public enum State { WAITING, BOOTING, RUNNING, PAUSED, LEASE_EXPIRED, STOPPED }

  private final GuestMemory memory;
  private final GuestProgram program;
  private final LongSupplier clockMillis;
  private final Object lock = new Object();
  private final RunQueueWait runQueueWait = RunQueueWait.ofThisProcess();

  private State state = State.BOOTING;
  private boolean goGiven;
  private long goEpoch;
  private boolean pauseRequested;
  private boolean stopRequested;
  private int throttlePercent;
  private long steps;
  private Throwable failure;
  private StepWitness witness;

  public GuestRuntime(GuestMemory memory, GuestProgram program, LongSupplier clockMillis) {
    this.memory = memory;
    this.program = program;
    this.clockMillis = clockMillis;
  }

  /**
   * Records each run of steps in a witness log (see {@link StepWitness}). A step that ends after
   * the lease ran out is not witnessed (the run before it is written): its work does not count, as
   * kv drops such a step's requests and other programs' memory is used by no other copy.
   */
  public void witness(StepWitness w) {
    this.witness = w;
  }

  /**
   * Boots or resumes the program, then steps until stopped. A program that throws ends the loop:
   * the exception is rethrown, and the VM process exits with an error (the agent reports it as
   * crashed with its log).
   */
  public void run(boolean resume, GuestArgs args) throws Exception {
    run(resume, false, args);
  }

  /**
   * As {@link #run(boolean, GuestArgs)}; with {@code waitForGo} the loop first waits in WAITING
   * until {@link #go()} (the destination of a migration starts its JVM early, so that JVM start-up
   * is not part of the pause, and resumes the program only when the memory is complete).
   */
  public void run(boolean resume, boolean waitForGo, GuestArgs args) throws Exception {
    if (waitForGo) {
      program.prepare(args);
      synchronized (lock) {
        setStateLocked(State.WAITING);
        while (!goGiven && !stopRequested) {
          lock.wait();
        }
        if (stopRequested) {
          setStateLocked(State.STOPPED);
          return;
        }
        setStateLocked(State.BOOTING);
        if (goEpoch > 0) {
          args = args.withOwnerEpoch(goEpoch); // the destination of a migration runs under the new epoch
        }
      }
    }
    try {
      if (resume) {
        program.resume(memory, args);
      } else {
        program.boot(memory, args);
      }
    } catch (Exception | Error e) {
      synchronized (lock) {
        failure = e;
        lock.notifyAll();
      }
      throw e;
    }
    setState(State.RUNNING);
    long throttleDebtNanos = 0;
    try {
      while (true) {
        boolean ready;
        synchronized (lock) {
          ready = readyToStep();
        }
        if (!ready) {
          if (witness != null) {
            witness.flush(); // before blocking: a gap in stepping is a gap between witness lines
          }
          synchronized (lock) {
            if (!atSafePoint()) {
              break;
            }
          }
        }
        long startMs = witness != null ? clockMillis.getAsLong() : 0;
        long t0 = System.nanoTime();
        program.step(memory);
        long took = System.nanoTime() - t0;
        memory.header().beat();
        int throttle;
        long stepped;
        synchronized (lock) {
          stepped = ++steps;
          throttle = throttlePercent;
        }
        if (witness != null) {
          long endMs = clockMillis.getAsLong();
          if (memory.header().leaseValid(endMs)) {
            witness.stepped(startMs, endMs, stepped);
          } else {
            witness.flush();
          }
        }
        if (throttle > 0) {
          // Sleep so that sleeping is throttle% of wall time; sleep in slices of at least 1 ms.
          throttleDebtNanos += took * throttle / (100 - throttle);
          if (throttleDebtNanos >= 1_000_000) {
            long ms = throttleDebtNanos / 1_000_000;
            Thread.sleep(ms);
            throttleDebtNanos -= ms * 1_000_000;
          }
        } else {
          throttleDebtNanos = 0;
        }
      }
    } catch (Exception | Error e) {
      synchronized (lock) {
        failure = e;
      }
      throw e;
    } finally {
      if (witness != null) {
        witness.flush();
      }
      try {
        program.close();
      } finally {
        setState(State.STOPPED);
      }
    }
  }

  /** Whether the loop may step now without waiting (nothing asked of it, a valid lease). */
  private boolean readyToStep() {
    if (stopRequested || pauseRequested || !memory.header().leaseValid(clockMillis.getAsLong())) {
      return false;
    }
    setStateLocked(State.RUNNING);
    return true;
  }

  /** Holds the loop here while paused or without a lease; returns false when it must stop. */
  private boolean atSafePoint() throws InterruptedException {
    while (true) {
      if (stopRequested) {
        return false;
      }
      if (pauseRequested) {
        setStateLocked(State.PAUSED);
        lock.wait();
        continue;
      }
      if (!memory.header().leaseValid(clockMillis.getAsLong())) {
        setStateLocked(State.LEASE_EXPIRED);
        lock.wait(10); // the lease is renewed in shared memory, not by a call: poll it
        continue;
      }
      setStateLocked(State.RUNNING);
      return true;
    }
  }

  /** Asks for a pause and waits until the loop is at a safe point. */
  public void pause(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      pauseRequested = true;
      lock.notifyAll();
      while (state != State.PAUSED && state != State.STOPPED) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("the VM did not reach a safe point within " + timeout.toMillis()
              + " ms (state " + state + ")");
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  /**
   * Lets a WAITING runtime go on to resume its program, and returns once the program has resumed
   * (or failed, or the timeout passed), so that the caller learns of the resume without polling.
   */
  public State go(Duration timeout) throws InterruptedException {
    return go(timeout, 0);
  }

  /**
   * As {@link #go(Duration)}, telling the program the owner epoch it now runs under (the new epoch
   * of the migration that brought it here; 0: unchanged).
   */
  public State go(Duration timeout, long ownerEpoch) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      goEpoch = ownerEpoch;
      goGiven = true;
      lock.notifyAll();
      while ((state == State.WAITING || state == State.BOOTING) && failure == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
      return state;
    }
  }

  /**
   * Waits while the runtime boots (BOOTING), at most {@code timeout}, and returns the state it is
   * in then: the agent learns that a start finished without polling STATS every few milliseconds,
   * which cost the VM and the agent CPU that twenty VMs restarting at once need.
   */
  public State awaitBooted(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (state == State.BOOTING && failure == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
      return state;
    }
  }

  public void resume() {
    synchronized (lock) {
      pauseRequested = false;
      lock.notifyAll();
    }
  }

  public void throttle(int percent) {
    if (percent < 0 || percent > 99) {
      throw new IllegalArgumentException("throttle must be 0 to 99 percent, got " + percent);
    }
    synchronized (lock) {
      throttlePercent = percent;
    }
  }

  public void stop() {
    synchronized (lock) {
      stopRequested = true;
      lock.notifyAll();
    }
  }

  public Stats stats() {
    long cpuWaitNanos = runQueueWait.nanos(); // reads /proc: not under the lock the steps take
    synchronized (lock) {
      return new Stats(state, steps, processCpuNanos(), cpuWaitNanos, memory.header().heartbeat(), throttlePercent,
          program.endpoint(), failure == null ? null : failure.toString());
    }
  }

  public State state() {
    synchronized (lock) {
      return state;
    }
  }

  /** The program's endpoint (host:port it serves on), or null if it serves none (yet). */
  public String endpoint() {
    synchronized (lock) {
      return program.endpoint();
    }
  }

  private void setState(State s) {
    synchronized (lock) {
      setStateLocked(s);
    }
  }

  private void setStateLocked(State s) {
    if (state != s) {
      state = s;
      lock.notifyAll();
    }
  }

  /** From /proc through ProcessHandle: the management beans cost a VM tens of ms of start-up CPU. */
  private static long processCpuNanos() {
    java.util.Optional<java.time.Duration> cpu = ProcessHandle.current().info().totalCpuDuration();
    return cpu.isPresent() ? cpu.get().toNanos() : -1;
  }

  /**
   * What {@code STATS} reports. {@code cpuNanos} is the CPU time the process used, {@code
   * cpuWaitNanos} the time its threads waited for a CPU ({@link RunQueueWait}).
   */
  public record Stats(State state, long steps, long cpuNanos, long cpuWaitNanos, long heartbeat, int throttlePercent,
      String endpoint, String failure) {}
}
