package io.roam.master.tasks;

import io.roam.master.drs.model.HostMode;
import io.roam.master.tasks.TaskRecord.Goal;
import io.roam.master.tasks.TaskRecord.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a running task stands, decided from what the cluster looks like now: a pure function, so
 * each case is tested with a fixture.
 */
public final class TaskProgress {
  private TaskProgress() {}

  /** What the cluster looks like, as far as tasks care. */
  public interface View {
    HostMode mode(String host) throws Exception;

    boolean wakeFailed(String host) throws Exception;

    /** Whether the host's agent is connected. */
    boolean live(String host) throws Exception;

    int vmsOn(String host) throws Exception;

    /** The host that owns the VM; empty when the VM is gone. */
    Optional<String> ownerOf(String vm) throws Exception;
  }

  /** The task as it should read now; the same record (equal) when nothing changed. */
  public static TaskRecord evaluate(TaskRecord t, View view, long nowMs) throws Exception {
    if (t.state().isFinal()) {
      return t;
    }
    int done = 0;
    int vmsLeft = 0;
    List<String> left = new ArrayList<>();
    for (Goal g : t.goals()) {
      if (!g.vm().isEmpty()) {
        Optional<String> owner = view.ownerOf(g.vm());
        if (owner.isEmpty()) {
          return finish(t, State.FAILED, "VM " + g.vm() + " was deleted", nowMs);
        }
        if (owner.get().equals(g.host())) {
          done++;
        } else {
          left.add("VM " + g.vm() + " to " + g.host());
        }
        continue;
      }
      HostMode want = HostMode.valueOf(g.mode());
      HostMode now = view.mode(g.host());
      int vms = view.vmsOn(g.host());
      if (want == HostMode.CONNECTED && view.wakeFailed(g.host())) {
        return finish(t, State.FAILED, "host " + g.host() + " did not come up when powered on", nowMs);
      }
      String broken = broken(want, now);
      if (broken != null) {
        return finish(t, State.FAILED, "host " + g.host() + " " + broken, nowMs);
      }
      boolean emptied = want != HostMode.MAINTENANCE && want != HostMode.STANDBY || vms == 0;
      boolean up = want != HostMode.CONNECTED || view.live(g.host());
      if (now == want && emptied && up) {
        done++;
      } else {
        vmsLeft += vms;
        left.add(vms > 0 && (want == HostMode.MAINTENANCE || want == HostMode.STANDBY)
            ? vms + " VM" + (vms == 1 ? "" : "s") + " left on " + g.host()
            : "host " + g.host() + " " + word(now) + ", waiting for " + word(want));
      }
    }
    if (left.isEmpty()) {
      return finish(t, State.SUCCEEDED, "", nowMs);
    }
    if (t.deadlineMs() > 0 && nowMs > t.deadlineMs()) {
      return finish(t, State.FAILED, "not done by its deadline: " + String.join("; ", left)
          + " (see roamctl migration ls and the events)", nowMs);
    }
    int percent = t.vmsAtStart() > 0
        ? Math.max(0, Math.min(99, 100 * (t.vmsAtStart() - vmsLeft) / t.vmsAtStart()))
        : 100 * done / Math.max(1, t.goals().size());
    String progress = String.join("; ", left);
    if (progress.equals(t.progress()) && percent == t.percent()) {
      return t;
    }
    return t.with(State.RUNNING, progress, Math.min(percent, 99), "", nowMs);
  }

  /** Why a host's mode means the task can no longer succeed, or null while it still may. */
  private static String broken(HostMode want, HostMode now) {
    boolean onTheWay = switch (want) {
      case MAINTENANCE -> now == HostMode.ENTERING_MAINTENANCE || now == HostMode.MAINTENANCE;
      case STANDBY -> now == HostMode.ENTERING_STANDBY || now == HostMode.STANDBY;
      case CONNECTED -> now == HostMode.STANDBY || now == HostMode.WAKING || now == HostMode.CONNECTED
          || now == HostMode.DISCONNECTED;
      default -> true;
    };
    return onTheWay ? null : "is now " + word(now) + " (someone changed it meanwhile)";
  }

  static String word(HostMode m) {
    return m.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static TaskRecord finish(TaskRecord t, State s, String error, long nowMs) {
    return t.with(s, s == State.SUCCEEDED ? "done" : t.progress(), s == State.SUCCEEDED ? 100 : t.percent(), error, nowMs);
  }
}
