package io.roam.master.cli;

import com.google.protobuf.util.JsonFormat;
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
        "With -f, keep printing new events until interrupted (Ctrl-C)."})
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
    long after = 0;
    boolean json = root().output == Roamctl.Output.json;
    Table table = json ? null : new Table("TIME", "KIND", "VM", "HOST", "MESSAGE");
    boolean first = true;
    do {
      long from = after;
      ListEventsResponse r = root().master(s -> s.listEvents(ListEventsRequest.newBuilder().setAfterSeq(from).setVm(vm)
          .setHost(host).setLimit(limit).build()));
      if (json && !follow) {
        root().printJson(r);
        return Roamctl.OK;
      }
      for (Event e : r.getEventsList()) {
        after = Math.max(after, e.getSeq());
        if (json) {
          out().println(JsonFormat.printer().omittingInsignificantWhitespace().print(e));
        } else if (follow && !first) {
          out().printf("%s  %s  %s  %s  %s%n", TIME.format(Instant.ofEpochMilli(e.getTimeMs())), e.getKind(), e.getVm(),
              e.getHost(), e.getMessage());
        } else {
          table.row(TIME.format(Instant.ofEpochMilli(e.getTimeMs())), e.getKind(), e.getVm(), e.getHost(), e.getMessage());
        }
      }
      if (first && !json) {
        table.print(out());
      }
      first = false;
      if (follow) {
        out().flush();
        Thread.sleep(1000);
      }
    } while (follow);
    return Roamctl.OK;
  }
}
