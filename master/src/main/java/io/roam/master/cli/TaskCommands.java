package io.roam.master.cli;

import io.roam.proto.ListTasksRequest;
import io.roam.proto.ListTasksResponse;
import io.roam.proto.TaskId;
import io.roam.proto.TaskInfo;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * roamctl's tasks: long operations (maintenance enter, host power on/off, DRS apply) that the
 * leader follows to their end. {@code task ls|show|cancel}, and {@link #await}, which the commands'
 * {@code --wait} use: it follows a task through the masters' watch (no polling) to its end.
 */
final class TaskCommands {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
      .withZone(ZoneId.systemDefault());

  private TaskCommands() {}

  @Command(name = "task", mixinStandardHelpOptions = true,
      description = {"Long operations the leader follows to their end: maintenance enter, host power on/off, DRS apply.",
          "Those commands print their task's id; --wait on them, or `task show ID --wait`, follows it."},
      subcommands = {Ls.class, Show.class, Cancel.class})
  static final class TaskCmd extends Roamctl.Leaf {
    @Override
    public Integer call() {
      spec.commandLine().usage(out());
      return Roamctl.USAGE;
    }
  }

  @Command(name = "ls", mixinStandardHelpOptions = true, description = "List tasks, oldest first (the newest 100 ended ones are kept).")
  static final class Ls extends Roamctl.Leaf {
    @Override
    public Integer call() {
      ListTasksResponse r = root().master(s -> s.listTasks(ListTasksRequest.getDefaultInstance()));
      if (root().structured()) {
        root().printJson(r);
        return Roamctl.OK;
      }
      Table t = new Table("ID", "KIND", "TARGET", "STATE", "PROGRESS", "CREATED", "DETAIL");
      for (TaskInfo i : r.getTasksList()) {
        t.row(i.getId(), i.getKind(), i.getTarget(), i.getState(), i.getPercent() + " %",
            TIME.format(Instant.ofEpochMilli(i.getCreatedMs())), detail(i));
      }
      t.print(out());
      return Roamctl.OK;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a task; --wait follows it to its end.")
  static final class Show extends Roamctl.Leaf {
    @Parameters(paramLabel = "ID")
    String id;

    @Option(names = "--wait", description = "follow the task until it ends; exit code 1 unless it succeeded")
    boolean await;

    @Override
    public Integer call() throws Exception {
      if (await) {
        return await(root(), id);
      }
      print(root(), root().master(s -> s.getTask(TaskId.newBuilder().setId(id).build())));
      return Roamctl.OK;
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = "Cancel a task: a maintenance-enter task exits maintenance (VMs already moved stay where they are).")
  static final class Cancel extends Roamctl.Leaf {
    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      print(root(), root().master(s -> s.cancelTask(TaskId.newBuilder().setId(id).build())));
      return Roamctl.OK;
    }
  }

  private static String detail(TaskInfo t) {
    return !t.getError().isEmpty() ? t.getError() : t.getProgress().isEmpty() ? "-" : t.getProgress();
  }

  static void print(Roamctl root, TaskInfo t) {
    if (root.structured()) {
      root.printJson(t);
      return;
    }
    root.out.printf(Locale.ROOT, "%-10s %s%n", "Task:", t.getId());
    root.out.printf(Locale.ROOT, "%-10s %s %s%n", "Kind:", t.getKind(), t.getTarget());
    root.out.printf(Locale.ROOT, "%-10s %s (%d %%)%n", "State:", Colour.of(root).outcome(t.getState()), t.getPercent());
    root.out.printf(Locale.ROOT, "%-10s %s%n", "Progress:", t.getProgress().isEmpty() ? "-" : t.getProgress());
    if (!t.getError().isEmpty()) {
      root.out.printf(Locale.ROOT, "%-10s %s%n", "Error:", t.getError());
    }
    root.out.printf(Locale.ROOT, "%-10s %s%n", "Created:", TIME.format(Instant.ofEpochMilli(t.getCreatedMs())));
  }

  static boolean isFinal(TaskInfo t) {
    return !t.getState().equals("running");
  }

  /** The line --wait keeps rewriting on a terminal: {@code Task maintenance-enter host1: [ 50 %] 1 VM left on host1}. */
  static String progressLine(TaskInfo t) {
    return String.format(Locale.ROOT, "Task %s %s: [%3d %%] %s", t.getKind(), t.getTarget(), t.getPercent(), detail(t));
  }

  /**
   * Follows task {@code id} to its end through the masters' watch, then prints it. On a terminal a
   * progress line is rewritten in place; into a pipe or file, only the end is printed.
   *
   * @return 0 if it succeeded, 1 if it failed or was cancelled
   */
  static int await(Roamctl root, String id) throws Exception {
    TaskInfo[] last = {null};
    Progress progress = Progress.of(root);
    ClusterWatcher watcher = new ClusterWatcher(root, null);
    Runnable look = () -> {
      TaskInfo t = root.master(s -> s.getTask(TaskId.newBuilder().setId(id).build()));
      last[0] = t;
      if (!root.structured()) {
        progress.update(progressLine(t));
      }
      if (isFinal(t)) {
        throw new ClusterWatcher.Stop();
      }
    };
    watcher.follow(new ClusterWatcher.Listener() {
      @Override
      public void synced() {
        look.run();
      }

      @Override
      public void node(io.roam.proto.WatchEvent change) {
        if (change.getKind().equals("task") && change.getName().equals(id)) {
          look.run();
        }
      }
    });
    if (last[0] == null) {
      return Roamctl.ERROR; // interrupted before the first look
    }
    progress.done();
    print(root, last[0]);
    if (!last[0].getState().equals("succeeded") && !root.structured()) {
      root.err.println("roamctl: error: task " + id + " " + last[0].getState()
          + (last[0].getError().isEmpty() ? "" : ": " + last[0].getError()));
    }
    return last[0].getState().equals("succeeded") ? Roamctl.OK : Roamctl.ERROR;
  }
}
