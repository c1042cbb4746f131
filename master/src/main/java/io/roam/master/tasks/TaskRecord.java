package io.roam.master.tasks;

import java.util.List;

/**
 * A long operation the leader follows until it is done (/roam/tasks/&lt;id&gt;, JSON): maintenance
 * enter, host power off or on, DRS apply. Its state moves once, from running to succeeded, failed or
 * cancelled:
 *
 * <pre>
 *   running ──▶ succeeded
 *      │ ├────▶ failed
 *      │ └────▶ cancelled   (roamctl task cancel)
 * </pre>
 *
 * @param goals what must hold for it to succeed, all of them
 * @param vmsAtStart the VMs on the hosts it empties when it began, for its percentage
 * @param deadlineMs when it has failed if it is not done by then (0: none): a task whose goals wait on
 *     moves that may fail (DRS apply) cannot otherwise tell a move that failed from one still going
 */
public record TaskRecord(String id, String kind, String target, State state, String progress, int percent,
    String error, long createdMs, long updatedMs, List<Goal> goals, int vmsAtStart, long deadlineMs) {

  public enum State {
    RUNNING, SUCCEEDED, FAILED, CANCELLED;

    public boolean isFinal() {
      return this != RUNNING;
    }
  }

  /**
   * One condition of a task: a VM owned by a host (vm set), or a host in a mode (vm empty); a host
   * in MAINTENANCE or STANDBY must also own no VM.
   */
  public record Goal(String vm, String host, String mode) {
    public static Goal vmOn(String vm, String host) {
      return new Goal(vm, host, "");
    }

    public static Goal hostIn(String host, io.roam.master.drs.model.HostMode mode) {
      return new Goal("", host, mode.name());
    }
  }

  public TaskRecord {
    goals = goals == null ? List.of() : List.copyOf(goals);
    progress = progress == null ? "" : progress;
    error = error == null ? "" : error;
  }

  /** This task moved on: a new state, progress and percentage, at {@code nowMs}. */
  public TaskRecord with(State s, String newProgress, int newPercent, String newError, long nowMs) {
    return new TaskRecord(id, kind, target, s, newProgress, newPercent, newError, createdMs, nowMs, goals, vmsAtStart,
        deadlineMs);
  }

  /** Only maintenance can be undone by the operator: cancelling exits it. */
  public boolean cancellable() {
    return state == State.RUNNING && kind.equals("maintenance-enter");
  }
}
