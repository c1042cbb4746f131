package io.roam.master.cli;

import io.roam.proto.ApplyRequest;
import io.roam.proto.DrsRule;
import io.roam.proto.DrsStatus;
import io.roam.proto.DrsStatusRequest;
import io.roam.proto.ListRulesRequest;
import io.roam.proto.ListRulesResponse;
import io.roam.proto.Recommendation;
import io.roam.proto.RuleName;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** roamctl's DRS/DPM commands ({@code drs status|recs|apply}) and DRS rules ({@code rule add|ls|rm}). */
final class SchedulerCommands {
  private SchedulerCommands() {}

  @Command(name = "drs", mixinStandardHelpOptions = true, description = "DRS and DPM: status and recommendations.",
      subcommands = {Status.class, Recs.class, Apply.class, SetSettings.class})
  static final class DrsCmd extends Roamctl.Leaf {
    @Override
    public Integer call() {
      spec.commandLine().usage(out());
      return Roamctl.USAGE;
    }
  }

  /** The leader's DRS status; printed as JSON (and null returned) when -o json was asked for. */
  static DrsStatus fetch(Roamctl root) {
    DrsStatus s = root.master(m -> m.getDrsStatus(DrsStatusRequest.getDefaultInstance()));
    if (root.structured()) {
      root.printJson(s);
      return null;
    }
    return s;
  }

  static void printRecs(Roamctl root, List<Recommendation> recs) {
    Table t = new Table("ID", "KIND", "VM", "FROM", "TO", "REASON");
    for (Recommendation r : recs) {
      t.row(r.getId(), r.getKind(), r.getVm().isEmpty() ? "-" : r.getVm(), r.getFromHost(),
          r.getToHost().isEmpty() ? "-" : r.getToHost(), r.getReason());
    }
    t.print(root.out);
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Imbalance against its target, DPM utilization, recommendations and blocked VMs.")
  static final class Status extends Roamctl.Leaf {
    @Override
    public Integer call() {
      DrsStatus s = fetch(root());
      if (s == null) {
        return Roamctl.OK;
      }
      var o = out();
      o.printf(Locale.ROOT, "DRS:            threshold %d, automation %s%n", s.getThreshold(), s.getAutomation());
      o.printf(Locale.ROOT, "Imbalance:      %.3f (target %.3f)%n", s.getImbalance(), s.getTargetImbalance());
      LoadBars.draw(s.getHostLoadsMap(), s.getTargetImbalance()).forEach(l -> o.println("  " + l));
      o.printf(Locale.ROOT, "DPM:            %s, band %d %% ± %d %%; utilization %s (power-on window), %s"
          + " (power-off window)%n", s.getDpmLevel(), s.getDpmTargetPercent(), s.getDpmTolerancePercent(),
          percent(s.getUtilizationShort()), percent(s.getUtilizationLong()));
      o.printf(Locale.ROOT, "DPM says:       %s%n", s.getDpmNote());
      s.getBlockedMap().forEach((vm, why) -> o.printf(Locale.ROOT, "Blocked:        %s: %s%n", vm, why));
      o.printf(Locale.ROOT, "Recommendations: %d%n", s.getRecommendationsCount());
      if (s.getRecommendationsCount() > 0) {
        printRecs(root(), s.getRecommendationsList());
      }
      return Roamctl.OK;
    }

    private static String percent(double u) {
      return Double.isNaN(u) ? "n/a" : String.format(Locale.ROOT, "%.0f %%", 100 * u);
    }
  }

  @Command(name = "recs", mixinStandardHelpOptions = true,
      description = "Moves and power actions waiting for an operator (manual or partial automation).")
  static final class Recs extends Roamctl.Leaf {
    @Override
    public Integer call() {
      DrsStatus s = fetch(root());
      if (s != null) {
        printRecs(root(), s.getRecommendationsList());
      }
      return Roamctl.OK;
    }
  }

  @Command(name = "apply", mixinStandardHelpOptions = true, description = "Carry out recommendations: IDs, or all.")
  static final class Apply extends Roamctl.Leaf {
    @Parameters(arity = "1..*", paramLabel = "ID|all")
    List<String> ids = new ArrayList<>();

    @picocli.CommandLine.Option(names = "--wait",
        description = "follow the task until every move and power change applied is done; exit code 1 unless it succeeded")
    boolean await;

    @Override
    public Integer call() throws Exception {
      boolean all = ids.size() == 1 && ids.get(0).equals("all");
      DrsStatus s = root().master(m -> m.applyRecommendations(ApplyRequest.newBuilder().setAll(all)
          .addAllIds(all ? List.of() : ids).build()));
      if (await && !s.getTaskId().isEmpty()) {
        return TaskCommands.await(root(), s.getTaskId());
      }
      out().println((all ? "applied all recommendations" : "applied " + String.join(", ", ids))
          + (s.getTaskId().isEmpty() ? "" : "; task " + s.getTaskId() + " (follow it: roamctl task show " + s.getTaskId() + " --wait)"));
      if (s.getRecommendationsCount() > 0) {
        printRecs(root(), s.getRecommendationsList());
      }
      return Roamctl.OK;
    }
  }

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = {"Change DRS and DPM settings at run time (kept in ZooKeeper; every leader applies them).",
          "Options left out stay as they are; --reset returns to the masters' configuration."})
  static final class SetSettings extends Roamctl.Leaf {
    @Option(names = "--threshold", paramLabel = "1..5", description = "migration threshold")
    Integer threshold;

    @Option(names = "--automation", paramLabel = "LEVEL", description = "manual, partial or full")
    String automation;

    @Option(names = "--dpm-level", paramLabel = "LEVEL", description = "off, manual or automatic")
    String dpmLevel;

    @Option(names = "--dpm-target", paramLabel = "PERCENT", description = "utilization DPM aims for")
    Integer dpmTarget;

    @Option(names = "--dpm-tolerance", paramLabel = "PERCENT", description = "half-width of DPM's band")
    Integer dpmTolerance;

    @Option(names = "--reset", description = "forget every run-time change")
    boolean reset;

    @Override
    public Integer call() {
      io.roam.proto.DrsSettingsRequest.Builder b = io.roam.proto.DrsSettingsRequest.newBuilder().setReset(reset);
      if (threshold != null) {
        b.setThreshold(threshold);
      }
      if (automation != null) {
        b.setAutomation(automation);
      }
      if (dpmLevel != null) {
        b.setDpmLevel(dpmLevel);
      }
      if (dpmTarget != null) {
        b.setDpmTargetPercent(dpmTarget);
      }
      if (dpmTolerance != null) {
        b.setDpmTolerancePercent(dpmTolerance);
      }
      DrsStatus s = root().master(m -> m.setDrsSettings(b.build()));
      if (root().structured()) {
        root().printJson(s);
      } else {
        out().printf(Locale.ROOT, "DRS threshold %d, automation %s; DPM %s, band %d %% ± %d %%%n", s.getThreshold(),
            s.getAutomation(), s.getDpmLevel(), s.getDpmTargetPercent(), s.getDpmTolerancePercent());
      }
      return Roamctl.OK;
    }
  }

  @Command(name = "rule", mixinStandardHelpOptions = true, description = "DRS rules.",
      subcommands = {RuleAdd.class, RuleLs.class, RuleRm.class})
  static final class RuleCmd extends Roamctl.Leaf {
    @Override
    public Integer call() {
      spec.commandLine().usage(out());
      return Roamctl.USAGE;
    }
  }

  static void printRules(Roamctl root, ListRulesResponse rules) {
    if (root.structured()) {
      root.printJson(rules);
      return;
    }
    Table t = new Table("NAME", "TYPE", "VMS", "HOSTS", "BINDING");
    for (DrsRule r : rules.getRulesList()) {
      t.row(r.getName(), r.getType(), String.join(",", r.getVmsList()),
          r.getHostsCount() == 0 ? "-" : String.join(",", r.getHostsList()), r.getMust() ? "must" : "should");
    }
    t.print(root.out);
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {"Add a rule.",
          "affinity / anti-affinity: the VMs run together / apart (always binding).",
          "vm-host / vm-not-host: the VMs run on / not on the hosts; binding unless --should."})
  static final class RuleAdd extends Roamctl.Leaf {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--type", required = true, paramLabel = "TYPE",
        description = "affinity, anti-affinity, vm-host or vm-not-host")
    String type;

    @Option(names = "--vms", required = true, split = ",", paramLabel = "VM[,VM...]")
    List<String> vms;

    @Option(names = "--hosts", split = ",", paramLabel = "HOST[,HOST...]")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--should", description = "vm-host rules: a preference HA may break, not a must")
    boolean should;

    @Override
    public Integer call() {
      printRules(root(), root().master(m -> m.addRule(DrsRule.newBuilder().setName(name).setType(type).addAllVms(vms)
          .addAllHosts(hosts).setMust(!should).build())));
      return Roamctl.OK;
    }
  }

  @Command(name = "ls", mixinStandardHelpOptions = true, description = "List rules.")
  static final class RuleLs extends Roamctl.Leaf {
    @Override
    public Integer call() {
      printRules(root(), root().master(m -> m.listRules(ListRulesRequest.getDefaultInstance())));
      return Roamctl.OK;
    }
  }

  @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove a rule.")
  static final class RuleRm extends Roamctl.Leaf {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      printRules(root(), root().master(m -> m.removeRule(RuleName.newBuilder().setName(name).build())));
      return Roamctl.OK;
    }
  }
}
