package io.roam.master.cli;

import io.roam.proto.ClusterCheckItem;
import io.roam.proto.ClusterCheckReport;
import io.roam.proto.ClusterCheckRequest;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code roamctl cluster check}: the rack's one-page checklist (docs/rack.md), verified by the leader. */
final class ClusterCommands {
  private ClusterCommands() {}

  @Command(name = "cluster", description = "The cluster as a whole.", mixinStandardHelpOptions = true,
      subcommands = {ClusterCmd.Check.class})
  static final class ClusterCmd extends Roamctl.Leaf {
    @Override
    public Integer call() {
      spec.commandLine().usage(out());
      return Roamctl.USAGE;
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Verify the checklist of docs/rack.md, one line per check and host: every host connected"
            + " (heartbeats fresh), the datastore shared and writable by every host (each writes a file there, every"
            + " other reads it), every clock near the leader master's, every power driver answering.",
            "Exit code 1 when any line is FAIL. SKIP (a host in standby, a host without a power driver) fails nothing."
                + " Needs role operator: hosts write to the datastore and the leader asks every BMC."})
    static final class Check extends Roamctl.Leaf {
      @Option(names = "--max-clock-skew", paramLabel = "MS",
          description = "fail a clock further than this from the leader's, in ms (default: the masters' check.max-clock-skew-ms)")
      long maxClockSkewMs;

      @Override
      public Integer call() {
        if (maxClockSkewMs < 0) {
          throw new IllegalArgumentException("--max-clock-skew must not be negative");
        }
        ClusterCheckReport report = root().master(s -> s.checkCluster(ClusterCheckRequest.newBuilder()
            .setMaxClockSkewMs(maxClockSkewMs).build()));
        if (root().structured()) {
          root().printJson(report);
        } else {
          print(report);
        }
        return report.getPassed() ? Roamctl.OK : Roamctl.ERROR;
      }

      private void print(ClusterCheckReport report) {
        Table t = new Table("CHECK", "HOST", "RESULT", "DETAIL");
        long failed = 0;
        long skipped = 0;
        for (ClusterCheckItem i : report.getItemsList()) {
          t.row(i.getCheck(), i.getSubject(), i.getResult(), i.getDetail());
          failed += i.getResult().equals("FAIL") ? 1 : 0;
          skipped += i.getResult().equals("SKIP") ? 1 : 0;
        }
        t.print(out());
        int all = report.getItemsCount();
        out().println(report.getPassed()
            ? String.format(Locale.ROOT, "PASS: %d of %d checks passed, %d skipped", all - skipped, all, skipped)
            : String.format(Locale.ROOT, "FAIL: %d of %d checks failed", failed, all));
      }
    }
  }
}
