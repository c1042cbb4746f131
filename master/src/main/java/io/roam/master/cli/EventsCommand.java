package io.roam.master.cli;

import io.roam.proto.Event;
import io.roam.proto.ListEventsRequest;
import io.roam.proto.ListEventsResponse;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code roamctl events}: the cluster's event log, oldest first; {@code -f} follows it. */
@Command(name = "events", mixinStandardHelpOptions = true,
    description = {"Show what happened in the cluster: VMs created, started, stopped, crashed, migrated...",
        "With -f, keep printing new events until interrupted (Ctrl-C); the masters push them as they happen."})
final class EventsCommand extends Roamctl.Leaf {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
      .withZone(ZoneId.systemDefault());

  @Option(names = {"-f", "--follow"}, description = "keep printing new events")
  boolean follow;

  @Option(names = "--vm", paramLabel = "VM", description = "only events of this VM")
  String vm = "";

  @Option(names = "--host", paramLabel = "HOST", description = "only events of this host")
  String host = "";

  @Option(names = "--limit", paramLabel = "N", description = "at most the N newest (default: 1000)")
  int limit = 1000;

  @Override
  public Integer call() throws Exception {
    boolean json = root().structured();
    ListEventsResponse r = root().master(s -> s.listEvents(ListEventsRequest.newBuilder().setVm(vm).setHost(host)
        .setLimit(limit).build()));
    if (json && !follow) {
      root().printJson(r);
      return Roamctl.OK;
    }
    Table table = new Table("TIME", "KIND", "VM", "HOST", "MESSAGE");
    long last = -1;
    for (Event e : r.getEventsList()) {
      last = Math.max(last, e.getSeq());
      if (json) {
        printJsonLine(e);
      } else {
        table.row(row(e));
      }
    }
    if (!json) {
      table.print(out());
    }
    out().flush();
    if (!follow) {
      return Roamctl.OK;
    }
    // New events are pushed by the masters' ZooKeeper watch, from the last one listed on: none is
    // missed, even when the master serving the watch stops and another takes over.
    new ClusterWatcher(root(), last).follow(new ClusterWatcher.Listener() {
      @Override
      public void synced() {}

      @Override
      public void event(Event e) throws Exception {
        if ((vm.isEmpty() || vm.equals(e.getVm())) && (host.isEmpty() || host.equals(e.getHost()))) {
          if (json) {
            printJsonLine(e);
          } else {
            table.printRow(out(), row(e));
          }
          out().flush();
        }
      }
    });
    return Roamctl.OK;
  }

  /** With -f, one document per event: a line of JSON, or a YAML document after "---". */
  private void printJsonLine(Event e) {
    if (root().output == Roamctl.Output.yaml) {
      out().println("---");
      out().println(CliJson.yaml(e));
    } else {
      out().println(CliJson.jsonLine(e));
    }
  }

  private static Object[] row(Event e) {
    return new Object[] {TIME.format(Instant.ofEpochMilli(e.getTimeMs())), e.getKind(), e.getVm(), e.getHost(), e.getMessage()};
  }
}
