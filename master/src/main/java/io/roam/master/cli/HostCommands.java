package io.roam.master.cli;

import io.roam.common.Sizes;
import io.roam.proto.HostInfo;
import io.roam.proto.HostRequest;
import io.roam.proto.PowerDriverRequest;
import io.roam.proto.SetVmPolicyRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * roamctl's host administration (maintenance mode, power, power drivers) and {@code vm set}.
 */
final class HostCommands {
  private HostCommands() {}

  static void printHost(Roamctl root, HostInfo h) {
    if (root.structured()) {
      root.printJson(h);
      return;
    }
    root.out.printf(Locale.ROOT, "%-12s %s%n", "Name:", h.getName());
    root.out.printf(Locale.ROOT, "%-12s %s%s%n", "State:", h.getState(), h.getWakeFailed() ? " (wake failed)" : "");
    root.out.printf(Locale.ROOT, "%-12s %s%n", "Memory:", Sizes.format(h.getMemoryBytes()));
    root.out.printf(Locale.ROOT, "%-12s %s%n", "Power:", h.getPowerDriver().isEmpty() ? "-" : h.getPowerDriver());
    root.out.printf(Locale.ROOT, "%-12s %s%n", "DPM:", h.getDpmLevel().isEmpty() ? "cluster default" : h.getDpmLevel());
    if (!h.getNote().isEmpty()) {
      root.out.printf(Locale.ROOT, "%-12s %s%n", "Note:", h.getNote());
    }
    if (!h.getTaskId().isEmpty()) {
      root.out.printf(Locale.ROOT, "%-12s %s (follow it: roamctl task show %s --wait)%n", "Task:", h.getTaskId(), h.getTaskId());
    }
  }

  abstract static class HostAction extends Roamctl.Leaf {
    /** Set by the commands that start a task (maintenance, power): follow it to its end. */
    boolean await;

    HostInfo change(String host, String action) {
      return root().master(s -> s.changeHost(HostRequest.newBuilder().setHost(host).setAction(action).build()));
    }

    /** Runs the action {@code word} names (e.g. "enter" for enter-maintenance) and prints the host. */
    Integer changeAs(String host, String word, Map<String, String> actions) throws Exception {
      String action = actions.get(word);
      if (action == null) {
        throw new IllegalArgumentException("use `" + spec.qualifiedName() + " " + String.join("|",
            new java.util.TreeSet<>(actions.keySet())) + " HOST`");
      }
      HostInfo h = change(host, action);
      if (await && !h.getTaskId().isEmpty()) {
        if (!root().structured()) {
          out().println("host " + h.getName() + ": task " + h.getTaskId() + " (" + word + ")");
        }
        return TaskCommands.await(root(), h.getTaskId());
      }
      printHost(root(), h);
      return Roamctl.OK;
    }
  }

  @Command(name = "maintenance", mixinStandardHelpOptions = true,
      description = {"Enter or exit maintenance mode.",
          "enter: DRS moves every VM away by live migration (honouring rules and room); the host then takes no VMs "
              + "until it exits. A VM that cannot move keeps it 'entering-maintenance', with the reason in `host ls`."})
  static final class Maintenance extends HostAction {
    @Option(names = "--wait", description = "follow the task this starts until it ends (maintenance enter: the host is "
        + "empty and in maintenance; power off: in standby; power on: its agent is back); exit code 1 unless it succeeded")
    void await(boolean wait) {
      this.await = wait;
    }

    @Parameters(index = "0", paramLabel = "enter|exit")
    String what;

    @Parameters(index = "1", paramLabel = "HOST")
    String host;

    @Override
    public Integer call() throws Exception {
      return changeAs(host, what, Map.of("enter", "enter-maintenance", "exit", "exit-maintenance"));
    }
  }

  @Command(name = "power", mixinStandardHelpOptions = true,
      description = {"Power a host on or off through its power driver.",
          "off: the host's VMs move away first (as for maintenance), then it is powered off and marked standby.",
          "on: a standby host is powered on; it takes VMs once its agent is back."})
  static final class Power extends HostAction {
    @Option(names = "--wait", description = "follow the task this starts until it ends (maintenance enter: the host is "
        + "empty and in maintenance; power off: in standby; power on: its agent is back); exit code 1 unless it succeeded")
    void await(boolean wait) {
      this.await = wait;
    }

    @Parameters(index = "0", paramLabel = "on|off")
    String what;

    @Parameters(index = "1", paramLabel = "HOST")
    String host;

    @Override
    public Integer call() throws Exception {
      return changeAs(host, what, Map.of("on", "power-on", "off", "power-off"));
    }
  }

  @Command(name = "dpm", mixinStandardHelpOptions = true,
      description = "Set this host's DPM level: off (DPM never powers it off), manual, automatic, or default "
          + "(the cluster's dpm.level).")
  static final class Dpm extends HostAction {
    @Parameters(index = "0", paramLabel = "HOST")
    String host;

    @Parameters(index = "1", paramLabel = "off|manual|automatic|default")
    String level;

    @Override
    public Integer call() {
      if (!List.of("off", "manual", "automatic", "default").contains(level)) {
        throw new IllegalArgumentException("unknown DPM level '" + level + "': use off, manual, automatic or default");
      }
      printHost(root(), change(host, "dpm-" + level));
      return Roamctl.OK;
    }
  }

  @Command(name = "clear-wake-failed", mixinStandardHelpOptions = true,
      description = "Let DPM use a host again after it failed to come up when woken.")
  static final class ClearWakeFailed extends HostAction {
    @Parameters(paramLabel = "HOST")
    String host;

    @Override
    public Integer call() {
      printHost(root(), change(host, "clear-wake-failed"));
      return Roamctl.OK;
    }
  }

  @Command(name = "power-driver", mixinStandardHelpOptions = true,
      description = {"Select (or --clear) how the masters power a host, for HA fencing and DPM: one of the drivers"
          + " defined in the masters' power.drivers file (ipmi, wol or process, with their parameters).",
          "Drivers are defined only there: a driver runs commands and reads files on the masters."})
  static final class PowerDriver extends Roamctl.Leaf {
    @Parameters(paramLabel = "HOST")
    String host;

    @Option(names = "--name", paramLabel = "NAME", description = "a driver defined in the masters' power.drivers")
    String name = "";

    @Option(names = "--clear", description = "remove the host's power driver")
    boolean clear;

    @Override
    public Integer call() {
      if (clear == !name.isEmpty()) {
        throw new IllegalArgumentException("give either --name NAME (a driver of the masters' power.drivers), or --clear");
      }
      PowerDriverRequest req = PowerDriverRequest.newBuilder().setHost(host).setName(name).build();
      printHost(root(), root().master(s -> s.setPowerDriver(req)));
      return Roamctl.OK;
    }
  }

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = "Change a VM's HA restart priority or DRS automation.")
  static final class SetVm extends Roamctl.Leaf {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--restart-priority", paramLabel = "PRIORITY", description = "high, medium, low or disabled")
    String restartPriority = "";

    @Option(names = "--drs-automation", paramLabel = "LEVEL",
        description = "manual, partial, full, disabled, or default (the cluster's)")
    String drsAutomation = "";

    @Override
    public Integer call() {
      if (restartPriority.isEmpty() && drsAutomation.isEmpty()) {
        throw new IllegalArgumentException("nothing to change: give --restart-priority and/or --drs-automation");
      }
      Roamctl.printVm(root(), root().master(s -> s.setVmPolicy(SetVmPolicyRequest.newBuilder().setName(name)
          .setRestartPriority(restartPriority).setDrsAutomation(drsAutomation).build())));
      return Roamctl.OK;
    }
  }
}
