package io.roam.master.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.master.drs.model.HostMode;
import io.roam.master.tasks.TaskRecord.Goal;
import io.roam.master.tasks.TaskRecord.State;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Where a task stands, decided from fixtures of the cluster. */
class TaskProgressTest {
  /** A cluster as tasks see it, changed by hand. */
  private static final class Fixture implements TaskProgress.View {
    final Map<String, HostMode> modes = new HashMap<>();
    final Map<String, String> owners = new HashMap<>();
    final Map<String, Boolean> live = new HashMap<>();
    boolean wakeFailed;

    @Override
    public HostMode mode(String host) {
      return modes.getOrDefault(host, HostMode.CONNECTED);
    }

    @Override
    public boolean wakeFailed(String host) {
      return wakeFailed;
    }

    @Override
    public boolean live(String host) {
      return live.getOrDefault(host, true);
    }

    @Override
    public int vmsOn(String host) {
      return (int) owners.values().stream().filter(host::equals).count();
    }

    @Override
    public Optional<String> ownerOf(String vm) {
      return Optional.ofNullable(owners.get(vm));
    }
  }

  private static TaskRecord task(String kind, List<Goal> goals, int vms) {
    return new TaskRecord("t1", kind, "h1", State.RUNNING, "starting", 0, "", 1, 1, goals, vms, 0);
  }

  @Test
  void drsApplyWhoseMoveFailedFailsAtItsDeadlineAndNotBefore() throws Exception {
    // The move of a failed and left it on h1: nothing in the cluster says so but the time passed.
    Fixture f = new Fixture();
    f.owners.put("a", "h1");
    TaskRecord t = new TaskRecord("t2", "drs-apply", "r1", State.RUNNING, "starting", 0, "", 1, 1,
        List.of(Goal.vmOn("a", "h2")), 0, 1_000);
    t = TaskProgress.evaluate(t, f, 1_000);
    assertThat(t.state()).isEqualTo(State.RUNNING);
    t = TaskProgress.evaluate(t, f, 1_001);
    assertThat(t.state()).isEqualTo(State.FAILED);
    assertThat(t.error()).contains("not done by its deadline").contains("VM a to h2");
    // Done in time, it succeeds even when looked at after the deadline.
    f.owners.put("a", "h2");
    TaskRecord late = new TaskRecord("t3", "drs-apply", "r1", State.RUNNING, "starting", 0, "", 1, 1,
        List.of(Goal.vmOn("a", "h2")), 0, 1_000);
    assertThat(TaskProgress.evaluate(late, f, 5_000).state()).isEqualTo(State.SUCCEEDED);
  }

  @Test
  void maintenanceSucceedsOnlyOnceTheHostIsInMaintenanceAndEmpty() throws Exception {
    Fixture f = new Fixture();
    f.modes.put("h1", HostMode.ENTERING_MAINTENANCE);
    f.owners.put("a", "h1");
    f.owners.put("b", "h1");
    TaskRecord t = task("maintenance-enter", List.of(Goal.hostIn("h1", HostMode.MAINTENANCE)), 2);
    t = TaskProgress.evaluate(t, f, 10);
    assertThat(t.state()).isEqualTo(State.RUNNING);
    assertThat(t.progress()).isEqualTo("2 VMs left on h1");
    assertThat(t.percent()).isZero();
    f.owners.put("a", "h2");
    t = TaskProgress.evaluate(t, f, 20);
    assertThat(t.progress()).isEqualTo("1 VM left on h1");
    assertThat(t.percent()).isEqualTo(50);
    assertThat(TaskProgress.evaluate(t, f, 30)).as("nothing changed: the same record").isSameAs(t);
    f.owners.put("b", "h2");
    assertThat(TaskProgress.evaluate(t, f, 40).state()).as("empty but not yet in maintenance").isEqualTo(State.RUNNING);
    f.modes.put("h1", HostMode.MAINTENANCE);
    TaskRecord done = TaskProgress.evaluate(t, f, 50);
    assertThat(done.state()).isEqualTo(State.SUCCEEDED);
    assertThat(done.percent()).isEqualTo(100);
    assertThat(done.updatedMs()).isEqualTo(50);
  }

  @Test
  void maintenanceExitedByHandFailsTheTask() throws Exception {
    Fixture f = new Fixture();
    f.owners.put("a", "h1");
    TaskRecord t = TaskProgress.evaluate(task("maintenance-enter", List.of(Goal.hostIn("h1", HostMode.MAINTENANCE)), 1), f, 10);
    assertThat(t.state()).isEqualTo(State.FAILED);
    assertThat(t.error()).isEqualTo("host h1 is now connected (someone changed it meanwhile)");
  }

  @Test
  void powerOnFailsWhenTheHostDoesNotComeUpAndSucceedsWhenItsAgentIsBack() throws Exception {
    Fixture f = new Fixture();
    f.modes.put("h1", HostMode.WAKING);
    f.live.put("h1", false);
    TaskRecord t = task("power-on", List.of(Goal.hostIn("h1", HostMode.CONNECTED)), 0);
    t = TaskProgress.evaluate(t, f, 10);
    assertThat(t.progress()).isEqualTo("host h1 waking, waiting for connected");
    f.modes.put("h1", HostMode.CONNECTED);
    assertThat(TaskProgress.evaluate(t, f, 20).state()).as("connected but its agent not back").isEqualTo(State.RUNNING);
    f.live.put("h1", true);
    assertThat(TaskProgress.evaluate(t, f, 30).state()).isEqualTo(State.SUCCEEDED);
    f.wakeFailed = true;
    f.modes.put("h1", HostMode.STANDBY);
    assertThat(TaskProgress.evaluate(t, f, 40).error()).isEqualTo("host h1 did not come up when powered on");
  }

  @Test
  void drsApplySucceedsWhenEveryVmIsWhereItWasSentAndFailsWhenOneIsDeleted() throws Exception {
    Fixture f = new Fixture();
    f.owners.put("a", "h1");
    f.owners.put("b", "h1");
    TaskRecord t = task("drs-apply", List.of(Goal.vmOn("a", "h2"), Goal.vmOn("b", "h3")), 0);
    f.owners.put("a", "h2");
    t = TaskProgress.evaluate(t, f, 10);
    assertThat(t.percent()).isEqualTo(50);
    assertThat(t.progress()).isEqualTo("VM b to h3");
    f.owners.remove("b");
    assertThat(TaskProgress.evaluate(t, f, 20).error()).isEqualTo("VM b was deleted");
  }
}
