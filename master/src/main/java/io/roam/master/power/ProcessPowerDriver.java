package io.roam.master.power;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A "host" that is a local agent process, for clusters on one machine and for tests: on starts the
 * process (its pid kept in a file, so that a restarted master still finds it), off stops it with
 * SIGTERM and, after a grace period, SIGKILL; status is whether that process lives.
 */
public final class ProcessPowerDriver implements PowerDriver {
  private final List<String> command;
  private final Path pidFile;
  private final Path logFile;
  private final Duration grace;

  public ProcessPowerDriver(List<String> command, Path pidFile, Path logFile, Duration grace) {
    this.command = List.copyOf(command);
    this.pidFile = pidFile;
    this.logFile = logFile;
    this.grace = grace;
  }

  @Override
  public synchronized void powerOn() throws PowerException {
    if (process().isPresent()) {
      return; // already on
    }
    try {
      Files.createDirectories(pidFile.toAbsolutePath().getParent());
      Files.createDirectories(logFile.toAbsolutePath().getParent());
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
      Files.writeString(pidFile, Long.toString(p.pid()));
    } catch (IOException e) {
      throw new PowerException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void powerOff() throws PowerException {
    Optional<ProcessHandle> p = process();
    if (p.isEmpty()) {
      return; // already off
    }
    ProcessHandle h = p.get();
    h.destroy();
    try {
      h.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      h.destroyForcibly();
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception again) {
        throw new PowerException("process " + h.pid() + " did not die after SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PowerException("interrupted while stopping process " + h.pid(), e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new PowerException("while stopping process " + h.pid() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized PowerState status() {
    return process().isPresent() ? PowerState.ON : PowerState.OFF;
  }

  /**
   * The live process recorded in the pid file, if it runs the configured command; anything else is
   * "off", and so is never signalled.
   *
   * <p>Why the command line and not "a pid this driver started": a new leader, or a restarted
   * master, must be able to power off the agent an earlier master (or the script that started the
   * cluster) started, so the rule cannot rest on memory; and a stale pid file, or one pointing at a
   * pid reused by another program, must not make power-off kill that program. A process whose
   * executable and arguments are exactly the configured command is, by definition, the host this
   * driver powers. A wrapper that execs the real command ({@code ip netns exec NS java ...}) leaves
   * a process running a tail of the command, so a tail that starts at the running executable counts
   * too. A process of another user, whose command line we cannot read, never matches.
   */
  private Optional<ProcessHandle> process() {
    try {
      if (!Files.exists(pidFile)) {
        return Optional.empty();
      }
      long pid = Long.parseLong(Files.readString(pidFile).trim());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> runsCommand(h, command));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Whether the process runs {@code command}, or a tail of it that starts with its executable. */
  static boolean runsCommand(ProcessHandle h, List<String> command) {
    Optional<String> exe = h.info().command();
    Optional<List<String>> argv = argv(h);
    if (exe.isEmpty() || argv.isEmpty()) {
      return false;
    }
    String exeName = fileName(exe.get());
    for (int start = 0; start < command.size(); start++) {
      List<String> tail = command.subList(start, command.size());
      if (fileName(tail.get(0)).equals(exeName) && tail.equals(argv.get())) {
        return true;
      }
    }
    return false;
  }

  /**
   * The process's whole argument vector. From /proc on Linux: the JDK's ProcessHandle.Info gives
   * no arguments at all once the command line passes 4 KiB (an agent's class path does).
   */
  private static Optional<List<String>> argv(ProcessHandle h) {
    Path cmdline = Path.of("/proc", Long.toString(h.pid()), "cmdline");
    if (Files.isReadable(cmdline)) {
      try {
        String text = new String(Files.readAllBytes(cmdline), java.nio.charset.StandardCharsets.UTF_8);
        if (text.endsWith("\0")) {
          text = text.substring(0, text.length() - 1);
        }
        return text.isEmpty() ? Optional.empty() : Optional.of(List.of(text.split("\0", -1)));
      } catch (IOException e) {
        return Optional.empty();
      }
    }
    ProcessHandle.Info info = h.info();
    if (info.command().isEmpty() || info.arguments().isEmpty()) {
      return Optional.empty();
    }
    List<String> all = new java.util.ArrayList<>();
    all.add(info.command().get());
    all.addAll(List.of(info.arguments().get()));
    return Optional.of(all);
  }

  private static String fileName(String program) {
    Path name = Path.of(program).getFileName();
    return name == null ? program : name.toString();
  }

  @Override
  public String toString() {
    return "process " + String.join(" ", command.subList(0, Math.min(2, command.size()))) + "...";
  }
}
