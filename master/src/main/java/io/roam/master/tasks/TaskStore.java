package io.roam.master.tasks;

import io.roam.common.Json;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.ClusterStore.Versioned;
import io.roam.master.inventory.NotLeaderException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Task records in the cluster store. Every write goes through the leader's term-bound store
 * (DESIGN.md "Only the leader acts"): a master that is no longer the leader writes nothing (its
 * write fails with {@link NotLeaderException}), and each change after the creation is a
 * compare-and-set on the record's version, so a cancel and the leader's progress never overwrite
 * each other.
 *
 * <p>Thread-safety: safe for concurrent use (the store orders the writes).
 */
public final class TaskStore {
  /** How many finished tasks are kept; the oldest beyond it are deleted when a task is created. */
  static final int KEEP_FINISHED = 100;
  private final ClusterStore reads;
  private final Supplier<Optional<ClusterStore>> term;

  /**
   * @param reads the store, for reads (any master answers them)
   * @param term the leader's term-bound store while this master leads, empty otherwise
   */
  public TaskStore(ClusterStore reads, Supplier<Optional<ClusterStore>> term) {
    this.reads = reads;
    this.term = term;
  }

  /** Whether this master leads now (a cheap look; a write still checks the term). */
  boolean leading() {
    return term.get().isPresent();
  }

  public void create(TaskRecord t) throws Exception {
    writes().createTask(t.id(), Json.write(t));
    trim();
  }

  public Optional<Versioned<TaskRecord>> get(String id) throws Exception {
    return reads.task(id).map(v -> new Versioned<>(Json.read(v.value(), TaskRecord.class), v.version()));
  }

  /** Every task, oldest first. */
  public List<Versioned<TaskRecord>> list() throws Exception {
    List<Versioned<TaskRecord>> out = new ArrayList<>();
    for (String id : reads.taskIds()) {
      get(id).ifPresent(out::add);
    }
    out.sort(Comparator.comparingLong(v -> v.value().createdMs()));
    return out;
  }

  /** Writes {@code next} if the task is still at {@code version}; false if someone changed it meanwhile. */
  public boolean compareAndSet(String id, int version, TaskRecord next) throws Exception {
    return writes().compareAndSetTask(id, version, Json.write(next));
  }

  private void trim() throws Exception {
    List<Versioned<TaskRecord>> finished = list().stream().filter(v -> v.value().state().isFinal()).toList();
    for (int i = 0; i < finished.size() - KEEP_FINISHED; i++) {
      writes().deleteTask(finished.get(i).value().id(), finished.get(i).version());
    }
  }

  private ClusterStore writes() {
    return term.get().orElseThrow(() -> new NotLeaderException(-1, "this master does not lead"));
  }
}
