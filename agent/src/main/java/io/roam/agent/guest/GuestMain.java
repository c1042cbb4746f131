package io.roam.agent.guest;

import io.roam.agent.memory.GuestMemory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point of a VM process. The agent starts it as
 *
 * <pre>
 * java -Xmx64m ... io.roam.agent.guest.GuestMain --memory FILE --control SOCKET --program NAME
 *      [--jar JAR] [--bind ADDRESS [--own-address]] [--datastore DIR] [--epoch N] [--resume] [--wait]
 *      [--arg key=value]...
 * </pre>
 *
 * ({@code --epoch}: the owner epoch this copy runs under; a migration's destination learns its
 * epoch with GO. {@code --own-address}: the bind address is the VM's own, not its host's.) JVM properties: {@code roam.vm} (the VM's name), {@code roam.witness},
 * {@code roam.host} and {@code roam.witness.period-ms} (the step witness), {@code roam.faults}.
 *
 *
 * ({@code --resume --wait} for the destination of a migration: wait for GO, then resume from the
 * memory that arrived) and redirects its output to the VM's log file.
 *
 * <p>A pooled VM process ({@code GuestMain --pool --control POOL-SOCKET}) is started before it has a
 * VM: it waits for the properties and arguments above on its pool socket ({@link PooledStart}),
 * then goes on as if launched with them, writing its output to the VM's log file itself.
 *
 * <p>Exit code 0: stopped on request; 1: the program failed; 2: bad arguments.
 */
public final class GuestMain {
  private GuestMain() {}

  /**
   * The machine's monotonic clock, the one the agent writes lease deadlines in (docs/DESIGN.md,
   * "Time"); a class, not a lambda: see the note in main about start-up.
   */
  private static final class MonotonicClock implements java.util.function.LongSupplier {
    @Override
    public long getAsLong() {
      return io.roam.common.time.Monotonic.millis();
    }
  }

  public static void main(String[] argv) {
    boolean pooled = argv.length == 3 && argv[0].equals("--pool") && argv[1].equals("--control");
    if (pooled) {
      argv = PooledStart.await(Path.of(argv[2])).args();
    }
    Map<String, String> opts = new LinkedHashMap<>();
    Map<String, String> programArgs = new LinkedHashMap<>();
    boolean resume = false;
    boolean waitForGo = false;
    boolean ownAddress = false;
    long epoch;
    long witnessPeriodMs;
    try {
      for (int i = 0; i < argv.length; i++) {
        switch (argv[i]) {
          case "--resume" -> resume = true;
          case "--wait" -> waitForGo = true;
          case "--own-address" -> ownAddress = true;
          case "--arg" -> {
            String kv = argv[++i];
            int eq = kv.indexOf('=');
            if (eq <= 0) {
              throw new IllegalArgumentException("--arg wants key=value, got " + kv);
            }
            programArgs.put(kv.substring(0, eq), kv.substring(eq + 1));
          }
          case "--memory", "--control", "--program", "--jar", "--bind", "--datastore", "--epoch" ->
              opts.put(argv[i], argv[++i]);
          default -> throw new IllegalArgumentException("unknown option " + argv[i]);
        }
      }
      for (String required : new String[] {"--memory", "--control", "--program"}) {
        if (!opts.containsKey(required)) {
          throw new IllegalArgumentException("missing " + required);
        }
      }
      epoch = Long.parseLong(opts.getOrDefault("--epoch", "0"));
      witnessPeriodMs = Long.parseLong(System.getProperty("roam.witness.period-ms", "50"));
    } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
      System.err.println("GuestMain: " + e.getMessage());
      System.exit(2);
      return;
    }

    installRotatingLog(pooled);
    String program = opts.get("--program");
    // Concatenation, not printf, and no lambdas on this path (the agent module is compiled with
    // -XDstringConcat=inline): every VM start pays for what it loads, and HA restarts many at once.
    System.out.println("VM process " + ProcessHandle.current().pid() + ": program " + program + ", memory "
        + opts.get("--memory") + ", " + (resume ? "resume" : "boot") + " at " + System.currentTimeMillis());
    try (GuestMemory memory = GuestMemory.open(Path.of(opts.get("--memory")))) {
      GuestProgram p = Programs.instantiate(program, opts.containsKey("--jar") ? Path.of(opts.get("--jar")) : null);
      GuestRuntime runtime = new GuestRuntime(memory, p, new MonotonicClock());
      String witness = System.getProperty("roam.witness");
      if (witness != null) {
        runtime.witness(new StepWitness(Path.of(witness), System.getProperty("roam.host", "?"), witnessPeriodMs));
      }
      try (ControlServer control = new ControlServer(Path.of(opts.get("--control")), runtime)) {
        java.nio.file.Path disk = opts.containsKey("--datastore")
            ? Path.of(opts.get("--datastore"), "vms", System.getProperty("roam.vm", "vm")) : null;
        runtime.run(resume, waitForGo, new GuestArgs(programArgs, opts.getOrDefault("--bind", "127.0.0.1"), disk, epoch,
            ownAddress));
      }
      System.out.println("VM stopped after " + runtime.stats().steps() + " steps");
    } catch (Throwable t) {
      System.err.println("VM failed: " + t);
      t.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  /**
   * Standard output and error go to the VM's log through the descriptor the agent opened; past
   * {@code roam.log.max-bytes} the log is rotated (agent.vm-log-max-bytes, agent.vm-log-files).
   * A pooled process opens the log itself (append mode, as the agent would), its own output having
   * gone to the pool's log while it waited.
   */
  private static void installRotatingLog(boolean pooled) {
    String log = System.getProperty("roam.log");
    if (log == null) {
      return; // started by hand or by a test: output stays as it is
    }
    java.io.FileOutputStream target;
    if (pooled) {
      try {
        target = new java.io.FileOutputStream(log, true);
      } catch (java.io.FileNotFoundException e) {
        System.err.println("GuestMain: cannot open the VM's log " + log + ": " + e.getMessage());
        System.exit(2);
        return;
      }
    } else {
      target = new java.io.FileOutputStream(java.io.FileDescriptor.out);
    }
    RotatingLogOutput out = new RotatingLogOutput(target, Path.of(log),
        Long.parseLong(System.getProperty("roam.log.max-bytes")), Integer.parseInt(System.getProperty("roam.log.files")));
    java.io.PrintStream print = new java.io.PrintStream(out, true);
    System.setOut(print);
    System.setErr(print);
  }
}
