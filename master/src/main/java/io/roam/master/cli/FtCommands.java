package io.roam.master.cli;

import io.roam.proto.SetVmPolicyRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code roamctl vm ft on|off}: FT protection of a VM by a hot secondary (DESIGN.md "Fault tolerance"). */
final class FtCommands {
  private FtCommands() {}

  @Command(name = "ft", mixinStandardHelpOptions = true, subcommands = {On.class, Off.class},
      description = "Fault tolerance: keep a hot secondary of a VM on another host, in step by checkpoints, that"
          + " takes over without a restart when the VM's host fails.")
  static final class FtCmd extends Roamctl.Leaf {
    @Override
    public Integer call() {
      spec.commandLine().usage(out());
      return Roamctl.OK;
    }
  }

  @Command(name = "on", mixinStandardHelpOptions = true,
      description = "Protect a VM: the leader seeds a hot secondary on another host (the VM keeps running), then"
          + " the VM's output waits for each checkpoint to reach the secondary. `vm show` says when it is protected.")
  static final class On extends Roamctl.Leaf {
    @Parameters(paramLabel = "VM")
    String name;

    @Option(names = "--secondary", paramLabel = "HOST",
        description = "the host for the secondary, when it has room (default: the other host with the most memory free)")
    String secondary = "";

    @Option(names = "--checkpoint-interval", paramLabel = "DURATION", converter = MigrationCommands.DurationConverter.class,
        description = "how often the VM is checkpointed, 5ms to 10s (default 20ms); each checkpoint pauses it briefly,"
            + " and a reply waits up to one interval plus the copy")
    Long intervalMs = 0L;

    @Override
    public Integer call() {
      Roamctl.printVm(root(), root().master(s -> s.setVmPolicy(SetVmPolicyRequest.newBuilder().setName(name)
          .setFt("on").setFtSecondary(secondary).setFtCheckpointIntervalMs(intervalMs.intValue()).build())));
      return Roamctl.OK;
    }
  }

  @Command(name = "off", mixinStandardHelpOptions = true,
      description = "Stop protecting a VM: its secondary is discarded and the VM runs on alone.")
  static final class Off extends Roamctl.Leaf {
    @Parameters(paramLabel = "VM")
    String name;

    @Override
    public Integer call() {
      Roamctl.printVm(root(), root().master(s -> s.setVmPolicy(SetVmPolicyRequest.newBuilder().setName(name)
          .setFt("off").build())));
      return Roamctl.OK;
    }
  }
}
