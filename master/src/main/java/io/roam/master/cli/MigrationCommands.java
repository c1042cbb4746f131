package io.roam.master.cli;

import io.roam.common.Sizes;
import io.roam.proto.ListMigrationsRequest;
import io.roam.proto.ListMigrationsResponse;
import io.roam.proto.MigrateVmRequest;
import io.roam.proto.MigrationId;
import io.roam.proto.MigrationInfo;
import io.roam.proto.MigrationParams;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** roamctl's live-migration commands: {@code vm migrate} and {@code migration ls|show|cancel}. */
final class MigrationCommands {
  private MigrationCommands() {}

  /** Parses 300ms, 2s, 1m, or a bare number of milliseconds. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Long> {
    private static final Pattern D = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

    @Override
    public Long convert(String value) {
      Matcher m = D.matcher(value.trim().toLowerCase(Locale.ROOT));
      if (!m.matches()) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration; use e.g. 300ms, 2s, 10m");
      }
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "ms" : m.group(2);
      return switch (unit) {
        case "s" -> n * 1000;
        case "m" -> n * 60_000;
        case "h" -> n * 3_600_000;
        default -> n;
      };
    }
  }

  /** Parses a rate such as 500MiB, 1GiB/s or 0 (unlimited) into bytes per second. */
  static final class RateConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      String v = value.trim();
      if (v.toLowerCase(Locale.ROOT).endsWith("/s")) {
        v = v.substring(0, v.length() - 2);
      }
      try {
        return Sizes.parse(v);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a rate; use e.g. 0 (unlimited), 500MiB/s, 1GiB/s");
      }
    }
  }

  @Command(name = "migrate", mixinStandardHelpOptions = true,
      description = {"Live-migrate a running VM to another host (pre-copy, then a short pause).",
          "Without --wait it returns once the migration has started; follow it with 'roamctl migration show ID'."})
  static final class Migrate extends Roamctl.Leaf {
    @Parameters(paramLabel = "VM")
    String vm;

    @Option(names = "--to", required = true, paramLabel = "HOST", description = "destination host")
    String to;

    @Option(names = "--downtime-limit", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "switch over when the rest fits this pause (default 300ms)")
    long downtimeLimit;

    @Option(names = "--max-bandwidth", paramLabel = "RATE", converter = RateConverter.class,
        description = "cap on the copy rate, e.g. 500MiB/s (default 0: unlimited)")
    long maxBandwidth;

    @Option(names = "--no-auto-converge", description = "never throttle the VM; fail if rounds stop shrinking")
    boolean noAutoConverge;

    @Option(names = "--max-time", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "give up after this long, the VM staying on its host (default 10m)")
    long maxTime;

    @Option(names = "--verify-full", description = "also compare a digest of every page during the pause (slow for big VMs)")
    boolean verifyFull;

    @Option(names = "--wait", description = "show progress until the migration ends; exit code 1 if it did not complete")
    boolean await;

    @Override
    public Integer call() throws InterruptedException {
      MigrationParams p = MigrationParams.newBuilder().setDowntimeLimitMs(downtimeLimit).setMaxBandwidthBytesPerSecond(maxBandwidth)
          .setNoAutoConverge(noAutoConverge).setMaxTotalMs(maxTime).setVerifyFullDigest(verifyFull).build();
      Roamctl root = root();
      MigrationInfo m = root.master(s -> s.migrateVm(MigrateVmRequest.newBuilder().setName(vm).setToHost(to).setParams(p).build()));
      if (!await) {
        if (root.structured()) {
          root.printJson(m);
        } else {
          out().println("migration " + m.getId() + " of VM " + vm + " to " + to + " started; follow it with: roamctl migration show "
              + m.getId());
        }
        return Roamctl.OK;
      }
      // The live line only on a terminal: into a pipe, carriage returns would garble what a script reads.
      Progress progress = Progress.of(root);
      while (!isFinal(m)) {
        if (!root.structured()) {
          progress.update(progressLine(m));
        }
        Thread.sleep(200);
        String id = m.getId();
        m = root.master(s -> s.getMigration(MigrationId.newBuilder().setId(id).build()));
      }
      if (!root.structured()) {
        progress.update(progressLine(m));
      }
      progress.done();
      show(root, m);
      return m.getStatus().equals("completed") ? Roamctl.OK : Roamctl.ERROR;
    }
  }

  static boolean isFinal(MigrationInfo m) {
    return m.getStatus().equals("completed") || m.getStatus().equals("failed") || m.getStatus().equals("cancelled");
  }

  /** As virsh migrate --verbose: {@code Migration: [ 87 %] round 3  1.4 GB/s  dirty 120 MB/s  remaining 40 MB}. */
  static String progressLine(MigrationInfo m) {
    return String.format(Locale.ROOT, "Migration: [%3d %%] round %d  %s  dirty %s  remaining %s%s", m.getPercent(),
        m.getRounds(), rate(m.getThroughputBytesPerSecond()), rate(m.getDirtyPagesPerSecond() * 4096),
        bytes(m.getBytesRemaining()), m.getThrottlePercent() > 0 ? "  throttle " + m.getThrottlePercent() + " %" : "");
  }

  static String rate(double bytesPerSecond) {
    return bytes((long) bytesPerSecond) + "/s";
  }

  /** Decimal units, as migration tools print rates. */
  static String bytes(long b) {
    if (b >= 1_000_000_000L) {
      return String.format(Locale.ROOT, "%.1f GB", b / 1e9);
    }
    if (b >= 1_000_000L) {
      return String.format(Locale.ROOT, "%.0f MB", b / 1e6);
    }
    return String.format(Locale.ROOT, "%.0f kB", b / 1e3);
  }

  static void show(Roamctl root, MigrationInfo m) {
    if (root.structured()) {
      root.printJson(m);
      return;
    }
    PrintStream o = root.out;
    o.printf("%-20s %s%n", "Migration:", m.getId());
    o.printf("%-20s %s: %s -> %s%n", "VM:", m.getVm(), m.getSource(), m.getDestination());
    o.printf("%-20s %s%s%n", "Status:", Colour.of(root).outcome(m.getStatus()), m.getError().isEmpty() ? "" : " (" + m.getError() + ")");
    o.printf("%-20s %d ms%n", "Total time:", m.getTotalTimeMs());
    o.printf("%-20s %d ms%n", "Setup time:", m.getSetupTimeMs());
    o.printf("%-20s %d ms%n", "Expected downtime:", m.getExpectedDowntimeMs());
    o.printf("%-20s %d ms%n", "Downtime:", m.getDowntimeMs());
    o.printf("%-20s %s%n", "Transferred:", bytes(m.getBytesTransferred()));
    o.printf("%-20s %s%n", "Remaining:", bytes(m.getBytesRemaining()));
    o.printf("%-20s %s%n", "Total:", bytes(m.getBytesTotal()));
    o.printf("%-20s %d%n", "Zero pages:", m.getZeroPages());
    o.printf("%-20s %d%n", "Normal pages:", m.getNormalPages());
    o.printf("%-20s %.0f pages/s%n", "Dirty page rate:", m.getDirtyPagesPerSecond());
    o.printf("%-20s %s%n", "Throughput:", rate(m.getThroughputBytesPerSecond()));
    o.printf("%-20s %d%n", "Rounds:", m.getRounds());
    o.printf("%-20s %d %%%n", "Throttle:", m.getThrottlePercent());
    if (m.hasCheckpoints()) {
      io.roam.proto.CheckpointStats c = m.getCheckpoints();
      o.printf("%-20s %d, every %d ms%s%n", "Checkpoints:", c.getCheckpoints(), c.getIntervalMs(),
          c.getThrottlePercent() > 0 ? ", VM throttled to " + c.getThrottlePercent() + " %" : "");
      o.printf("%-20s median %s, p99 %s, max %s%n", "Pause/checkpoint:", ms(c.getPauseMedianUs()),
          ms(c.getPauseP99Us()), ms(c.getPauseMaxUs()));
      o.printf("%-20s %s (acknowledged in %s, median)%n", "To secondary:", bytes(c.getBytes()),
          ms(c.getAckMedianUs()));
    }
    io.roam.proto.MigrationPhases p = m.getPhases();
    if (p.getTotalUs() > 0) {
      o.printf("%-20s setup %s (owner record %s, prepare %s [memory file %s, VM JVM %s], connect %s)%n",
          "Phases:", ms(p.getOwnerReadUs() + p.getPrepareUs() + p.getConnectUs()), ms(p.getOwnerReadUs()),
          ms(p.getPrepareUs()), ms(p.getDestMemoryFileUs()), ms(p.getDestJvmUs()),
          ms(p.getConnectUs()));
      o.printf("%-20s copy %s; pause %s (last pages %s, verify %s [destination %s], ownership %s, commit %s"
          + " [resume %s, GO %s])%n", "", ms(p.getCopyUs()), ms(p.getPauseUs()), ms(p.getLastPagesUs()),
          ms(p.getVerifyUs()), ms(p.getDestVerifyUs()), ms(p.getOwnershipUs()), ms(p.getCommitUs()),
          ms(p.getDestResumeUs()), ms(p.getDestGoUs()));
    }
  }

  private static String ms(long micros) {
    return String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
  }

  @Command(name = "migration", mixinStandardHelpOptions = true, description = "Live migrations: list, show, cancel.",
      subcommands = {Ls.class, Show.class, Cancel.class})
  static final class MigrationCmd extends Roamctl.Leaf {
    @Override
    public Integer call() {
      spec.commandLine().usage(out());
      return Roamctl.USAGE;
    }
  }

  @Command(name = "ls", mixinStandardHelpOptions = true, description = "List migrations, oldest first.")
  static final class Ls extends Roamctl.Leaf {
    @Option(names = {"-w", "--watch"},
        description = "after the table, print a line each time a migration starts or changes state, until interrupted")
    boolean watch;

    @Override
    public Integer call() throws Exception {
      if (watch) {
        // A migration's states show in ZooKeeper as its events (started, completed, ...) and its VM's owner record.
        boolean wide = root().wide();
        return new WatchedTable(root(), migrationTable(wide), () -> root().master(s -> s.listMigrations(
                ListMigrationsRequest.getDefaultInstance())).getMigrationsList().stream()
            .map(m -> new WatchedTable.Row(m.getId(), migrationRow(m, wide))).toList(),
            n -> n.getNode().equals("owner"), e -> e.getKind().startsWith("migration."), 4, List.of()).watch();
      }
      ListMigrationsResponse r = root().master(s -> s.listMigrations(ListMigrationsRequest.getDefaultInstance()));
      if (root().structured()) {
        root().printJson(r);
        return Roamctl.OK;
      }
      Table t = migrationTable(root().wide());
      for (MigrationInfo m : r.getMigrationsList()) {
        t.row(migrationRow(m, root().wide()));
      }
      t.print(out());
      return Roamctl.OK;
    }
  }

  /** @param wide -o wide: also bytes sent, throughput, the expected downtime, throttle and the error */
  static Table migrationTable(boolean wide) {
    return wide
        ? new Table("ID", "VM", "FROM", "TO", "STATUS", "PROGRESS", "TOTAL", "DOWNTIME", "ROUNDS", "SENT", "THROUGHPUT",
            "EXPECTED", "THROTTLE", "ERROR")
        : new Table("ID", "VM", "FROM", "TO", "STATUS", "PROGRESS", "TOTAL", "DOWNTIME", "ROUNDS");
  }

  static Object[] migrationRow(MigrationInfo m, boolean wide) {
    List<Object> r = new java.util.ArrayList<>(List.of(m.getId(), m.getVm(), m.getSource(), m.getDestination(), m.getStatus(),
        m.getPercent() + " %", m.getTotalTimeMs() + " ms", m.getDowntimeMs() + " ms", m.getRounds()));
    if (wide) {
      r.addAll(List.of(bytes(m.getBytesTransferred()), rate(m.getThroughputBytesPerSecond()),
          m.getExpectedDowntimeMs() + " ms", m.getThrottlePercent() + " %", m.getError().isEmpty() ? "-" : m.getError()));
    }
    return r.toArray();
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a migration's statistics.")
  static final class Show extends Roamctl.Leaf {
    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      show(root(), root().master(s -> s.getMigration(MigrationId.newBuilder().setId(id).build())));
      return Roamctl.OK;
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = "Cancel a migration; the VM keeps running on its source host.")
  static final class Cancel extends Roamctl.Leaf {
    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      MigrationInfo m = root().master(s -> s.cancelMigration(MigrationId.newBuilder().setId(id).build()));
      if (root().structured()) {
        root().printJson(m);
      } else {
        out().println("cancelling migration " + m.getId() + "; the VM stays on " + m.getSource());
      }
      return Roamctl.OK;
    }
  }
}
