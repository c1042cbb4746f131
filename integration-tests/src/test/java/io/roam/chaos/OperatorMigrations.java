package io.roam.chaos;

import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An operator migrating VMs while the faults go on: every few seconds one VM to another host
 * ({@code roamctl vm migrate VM --to HOST --wait}), on its own thread. Pausable, so that the
 * harness can let the cluster settle before it checks. Thread-safe.
 */
public final class OperatorMigrations implements AutoCloseable {
  private final ChaosCluster cluster;
  private final List<String> vms;
  private final Random random;
  private final Thread thread;
  private final AtomicInteger started = new AtomicInteger();
  private final AtomicInteger completed = new AtomicInteger();
  private final Object lock = new Object();
  private boolean paused;
  private boolean busy;
  private volatile boolean stopped;

  public OperatorMigrations(ChaosCluster cluster, List<String> vms, long seed) {
    this.cluster = cluster;
    this.vms = vms;
    this.random = new Random(seed ^ 0x5DEECE66DL);
    this.thread = new Thread(this::run, "chaos-operator");
    thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  private void run() {
    try {
      while (!stopped) {
        Thread.sleep(2_000 + random.nextInt(4_000));
        synchronized (lock) {
          while (paused && !stopped) {
            lock.wait();
          }
          if (stopped) {
            return;
          }
          busy = true;
        }
        try {
          migrateOne();
        } catch (RuntimeException e) {
          // a fault got in the way: the next one will try again
        } finally {
          synchronized (lock) {
            busy = false;
            lock.notifyAll();
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void migrateOne() {
    String vm = vms.get(random.nextInt(vms.size()));
    String to = cluster.hosts().get(random.nextInt(cluster.hosts().size()));
    String from = cluster.local.vm(vm).path("host").asText();
    if (to.equals(from)) {
      return;
    }
    started.incrementAndGet();
    if (cluster.local.ctl("vm", "migrate", vm, "--to", to, "--wait").exit() == 0) {
      completed.incrementAndGet();
    }
  }

  /** Stops starting migrations and waits for the one under way to return. */
  public void pause() throws InterruptedException {
    synchronized (lock) {
      paused = true;
      while (busy) {
        lock.wait();
      }
    }
  }

  public void resume() {
    synchronized (lock) {
      paused = false;
      lock.notifyAll();
    }
  }

  public int started() {
    return started.get();
  }

  public int completed() {
    return completed.get();
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    synchronized (lock) {
      lock.notifyAll();
    }
    thread.join(90_000);
  }
}
