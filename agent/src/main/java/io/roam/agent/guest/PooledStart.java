package io.roam.agent.guest;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pooled VM process: a VM JVM started ahead of need, before it has a VM (issue 12: HA boots many
 * VMs at once, and a JVM's own start-up is a large part of each boot). It loads and initializes the
 * guest runtime's classes, then waits on its pool socket for one assignment: the properties and
 * the {@link GuestMain} arguments a launch of that VM would have had on its command line. It then
 * goes on exactly as a VM process launched with them (see {@link GuestMain#main}).
 *
 * <p>Nothing of a VM exists in the process before the assignment: no memory mapped, no program, no
 * control socket. The agent sends the assignment only after the checks it makes before any launch
 * (the owner record read right before, the lease, the VM's address), so a pooled process runs a
 * program under exactly the conditions a launched one does.
 *
 * <p>Wire format on the pool socket (one connection, one assignment): {@code int n, n × (UTF key,
 * UTF value)} (system properties), {@code int m, m × UTF} (arguments); the process answers one
 * byte ({@link #ASSIGNED}) once it has taken them, and stops listening. While waiting, it exits by
 * itself when the agent that started it is gone (no orphans after a kill -9 of the agent).
 */
final class PooledStart {
  /** The answer to an assignment. */
  static final int ASSIGNED = 'A';
  private static final long PARENT_CHECK_MS = 250;

  private PooledStart() {}

  /** What the agent handed over: properties to set, then the arguments of a launch. */
  record Assignment(Map<String, String> properties, String[] args) {}

  /**
   * Waits for the assignment on {@code socket} and returns it (properties already set). Exits the
   * process when the agent goes away first, or when the socket cannot be served.
   */
  static Assignment await(Path socket) {
    System.out.println("pooled VM process " + ProcessHandle.current().pid() + " waiting on " + socket);
    warmUp();
    watchParent();
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      Files.deleteIfExists(socket);
      server.bind(UnixDomainSocketAddress.of(socket));
      while (true) {
        try (SocketChannel c = server.accept()) {
          Assignment a;
          try {
            a = read(new DataInputStream(Channels.newInputStream(c)));
          } catch (IOException e) {
            // A connection that broke before a whole assignment arrived assigned nothing: wait on.
            System.out.println("pooled VM process: incomplete assignment (" + e + "); still waiting");
            continue;
          }
          // From here on this process is the VM, whatever happens to the answer: an agent that
          // misses it kills this process before it launches the VM anywhere else.
          assigned = true;
          try {
            DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
            out.write(ASSIGNED);
            out.flush();
          } catch (IOException e) {
            System.out.println("pooled VM process: could not confirm the assignment (" + e + ")");
          }
          Files.deleteIfExists(socket);
          for (Map.Entry<String, String> p : a.properties().entrySet()) {
            System.setProperty(p.getKey(), p.getValue());
          }
          return a;
        }
      }
    } catch (IOException e) {
      System.err.println("pooled VM process: cannot serve " + socket + ": " + e);
      System.exit(2);
      return null;
    }
  }

  static Assignment read(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 64) {
      throw new IOException("bad property count " + n);
    }
    Map<String, String> props = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      props.put(in.readUTF(), in.readUTF());
    }
    int m = in.readInt();
    if (m < 0 || m > 4096) {
      throw new IOException("bad argument count " + m);
    }
    List<String> args = new ArrayList<>(m);
    for (int i = 0; i < m; i++) {
      args.add(in.readUTF());
    }
    return new Assignment(props, args.toArray(new String[0]));
  }

  /**
   * Loads and initializes what every VM's start runs through, while nothing waits for it. Best
   * effort: a class that fails here fails again, with its message, in the VM's own start.
   */
  private static void warmUp() {
    Class<?>[] classes = {GuestRuntime.class, GuestRuntime.State.class, GuestRuntime.Stats.class, ControlServer.class,
        GuestArgs.class, Programs.class, RotatingLogOutput.class, StepWitness.class, RunQueueWait.class,
        io.roam.agent.memory.GuestMemory.class, io.roam.agent.memory.GuestMemoryHeader.class,
        io.roam.agent.memory.MemoryLayout.class, io.roam.agent.memory.DirtyLog.class, io.roam.agent.vm.VmLogFiles.class,
        io.roam.agent.guest.programs.KvProgram.class, io.roam.agent.guest.programs.IdleProgram.class,
        io.roam.agent.guest.programs.CpuProgram.class, io.roam.agent.guest.programs.MemStressProgram.class};
    ClassLoader loader = PooledStart.class.getClassLoader();
    for (Class<?> c : classes) {
      initialize(c.getName(), loader);
    }
    // kv's own parts, package-private: by name (a renamed one is simply not warmed)
    for (String kv : new String[] {"KvWal", "KvReplay", "KvRecovery", "KvSnapshot", "KvTable", "KvSessions",
        "KvConnection", "KvCommands", "KvLogFormat"}) {
      initialize("io.roam.agent.guest.programs." + kv, loader);
    }
    ProcessHandle.current().info(); // the first /proc read (STATS' CPU time) loads its own classes
  }

  private static void initialize(String name, ClassLoader loader) {
    try {
      Class.forName(name, true, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      // best effort, see warmUp
    }
  }

  /** Exits when the process that started this one (the agent) has gone: a pooled process has no VM to keep. */
  private static void watchParent() {
    ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
    Thread t = new Thread(new ParentWatch(parent), "pool-parent-watch");
    t.setDaemon(true);
    t.start();
  }

  /** A class, not a lambda (see GuestMain). Stops watching once the process has its VM. */
  private static final class ParentWatch implements Runnable {
    private final ProcessHandle parent;

    ParentWatch(ProcessHandle parent) {
      this.parent = parent;
    }

    @Override
    public void run() {
      while (!assigned) {
        if (parent == null || !parent.isAlive()) {
          System.out.println("pooled VM process: the agent that started it is gone; exiting");
          Runtime.getRuntime().halt(0);
        }
        try {
          Thread.sleep(PARENT_CHECK_MS);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** Set once an assignment is taken: from then on the process is a VM, which its lease governs. */
  private static volatile boolean assigned;
}
