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

  /** The live process recorded in the pid file, if it is still the one we started. */
  private Optional<ProcessHandle> process() {
    try {
      if (!Files.exists(pidFile)) {
        return Optional.empty();
      }
      long pid = Long.parseLong(Files.readString(pidFile).trim());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .filter(h -> h.info().command().map(c -> c.endsWith(Path.of(command.get(0)).getFileName().toString()))
              .orElse(true));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return "process " + String.join(" ", command.subList(0, Math.min(2, command.size()))) + "...";
  }
}
