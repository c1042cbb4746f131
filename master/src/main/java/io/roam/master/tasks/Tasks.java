package io.roam.master.tasks;

import io.roam.master.drs.model.HostMode;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.ClusterStore.Versioned;
import io.roam.master.tasks.TaskRecord.Goal;
import io.roam.master.tasks.TaskRecord.State;
import io.roam.proto.TaskInfo;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Long operations as tasks: created when the API starts one, then followed by the leader, which
 * writes each one's progress and end ({@link TaskProgress#evaluate}) by compare-and-set. The leader
 * looks again when ZooKeeper says a host or VM changed ({@link #poke}, from the cluster watch) and
 * every few seconds besides, for what has no node of its own (an agent's connection).
 *
 * <p>Thread-safety: safe for concurrent use. Every write after a task's creation (progress, end,
 * cancel) runs on one thread, so a cancel and the tracker never race on a task.
 */
public final class Tasks implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Tasks.class);
  private static final long TICK_MS = 2000;

  private final TaskStore tasks;
  private final ClusterStore cluster;
  private final Clock clock;
  /** A look is queued: further pokes until it runs are the same look (a migration changes many nodes). */
  private final java.util.concurrent.atomic.AtomicBoolean lookQueued = new java.util.concurrent.atomic.AtomicBoolean();
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "tasks");
    t.setDaemon(true);
    return t;
  });
  private final AtomicLong ids = new AtomicLong();

  public Tasks(TaskStore tasks, ClusterStore cluster, Clock clock) {
    this.tasks = tasks;
    this.cluster = cluster;
    this.clock = clock;
  }

  public Tasks start() {
    thread.scheduleWithFixedDelay(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
    return this;
  }

  /** Something in the cluster changed: look at the running tasks soon. */
  public void poke() {
    if (!lookQueued.compareAndSet(false, true)) {
      return;
    }
    try {
      thread.execute(() -> {
        lookQueued.set(false);
        tick();
      });
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // closing
    }
  }

  /** A task that ends when {@code host} is in {@code mode} (and, for maintenance and standby, empty). */
  public String startHostTask(String kind, String host, HostMode mode) throws Exception {
    int vms = mode == HostMode.MAINTENANCE || mode == HostMode.STANDBY ? vmsOn(host) : 0;
    return create(kind, host, List.of(Goal.hostIn(host, mode)), vms, 0);
  }

  /**
   * A task that ends when every VM named is on its host and every host named is in its mode, and
   * fails if that has not come about within {@code timeoutMs} (a move that failed leaves its VM
   * where it was, which nothing else would tell from a move still going).
   */
  public String startDrsApply(String target, List<Goal> goals, long timeoutMs) throws Exception {
    return create("drs-apply", target, goals, 0, clock.millis() + timeoutMs);
  }

  private String create(String kind, String target, List<Goal> goals, int vmsAtStart, long deadlineMs)
      throws Exception {
    long now = clock.millis();
    String id = kind + "-" + Long.toString(now, 36) + Long.toString(ids.incrementAndGet(), 36);
    tasks.create(new TaskRecord(id, kind, target, State.RUNNING, "starting", 0, "", now, now, goals, vmsAtStart,
        deadlineMs));
    poke();
    return id;
  }

  public List<TaskInfo> list() throws Exception {
    List<TaskInfo> out = new ArrayList<>();
    for (Versioned<TaskRecord> t : tasks.list()) {
      out.add(toProto(t.value()));
    }
    return out;
  }

  public Optional<TaskInfo> get(String id) throws Exception {
    return tasks.get(id).map(v -> toProto(v.value()));
  }

  /**
   * Cancels a task: {@code undo} (e.g. exit the maintenance it follows) and the record's change run
   * on the tasks' thread, one after the other. Refused, with nothing changed, for a task that
   * cannot be cancelled.
   */
  public TaskInfo cancel(String id, Callable<?> undo) throws Exception {
    Callable<TaskInfo> work = () -> {
      Versioned<TaskRecord> t = tasks.get(id).orElseThrow(() -> new java.util.NoSuchElementException(
          "no task " + id + " (see roamctl task ls)"));
      if (!t.value().cancellable()) {
        throw new IllegalStateException("task " + id + " (" + t.value().kind() + ") " + (t.value().state().isFinal()
            ? "has already ended: " + word(t.value().state()) : "cannot be cancelled; only maintenance-enter can"));
      }
      undo.call();
      TaskRecord next = t.value().with(State.CANCELLED, t.value().progress(), t.value().percent(), "cancelled by an operator",
          clock.millis());
      if (!tasks.compareAndSet(id, t.version(), next)) {
        throw new IllegalStateException("task " + id + " changed meanwhile; look at it again (roamctl task show " + id + ")");
      }
      return toProto(next);
    };
    try {
      return thread.submit(work).get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  private void tick() {
    if (!tasks.leading()) {
      return; // only the leader follows tasks (and its writes are bound to its term)
    }
    try {
      TaskProgress.View view = view();
      for (Versioned<TaskRecord> t : tasks.list()) {
        if (t.value().state().isFinal()) {
          continue;
        }
        TaskRecord next = TaskProgress.evaluate(t.value(), view, clock.millis());
        if (!next.equals(t.value()) && tasks.compareAndSet(t.value().id(), t.version(), next) && next.state().isFinal()) {
          LOG.info("task {} ({} {}) {}{}", next.id(), next.kind(), next.target(), word(next.state()),
              next.error().isEmpty() ? "" : ": " + next.error());
        }
      }
    } catch (io.roam.master.inventory.NotLeaderException e) {
      LOG.info("tasks: {}", e.getMessage()); // the term ended during the look: the next leader follows them
    } catch (Exception e) {
      LOG.warn("following tasks: {}", e.toString());
    }
  }

  private int vmsOn(String host) throws Exception {
    int n = 0;
    for (String vm : cluster.vmNames()) {
      Optional<Versioned<io.roam.common.model.OwnerRecord>> o = cluster.owner(vm);
      if (o.isPresent() && o.get().value().host().equals(host)) {
        n++;
      }
    }
    return n;
  }

  private TaskProgress.View view() {
    return new TaskProgress.View() {
      @Override
      public HostMode mode(String host) throws Exception {
        return cluster.hostControl(host).mode();
      }

      @Override
      public boolean wakeFailed(String host) throws Exception {
        return cluster.hostControl(host).wakeFailed();
      }

      @Override
      public boolean live(String host) throws Exception {
        return cluster.isLive(host);
      }

      @Override
      public int vmsOn(String host) throws Exception {
        return Tasks.this.vmsOn(host);
      }

      @Override
      public Optional<String> ownerOf(String vm) throws Exception {
        return cluster.owner(vm).map(v -> v.value().host());
      }
    };
  }

  static String word(State s) {
    return s.name().toLowerCase(Locale.ROOT);
  }

  public static TaskInfo toProto(TaskRecord t) {
    return TaskInfo.newBuilder().setId(t.id()).setKind(t.kind()).setTarget(t.target()).setState(word(t.state()))
        .setProgress(t.progress()).setPercent(t.percent()).setError(t.error()).setCreatedMs(t.createdMs())
        .setUpdatedMs(t.updatedMs()).setCancellable(t.cancellable()).build();
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
