package io.roam.master.cli;

import io.roam.proto.Event;
import io.roam.proto.WatchEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * {@code ls -w}, as {@code kubectl get -w}: the table, then one line per row that changes, in the
 * table's columns, for as long as the user watches. The rows are read again (the usual list call)
 * when the watch says something they show may have changed; ZooKeeper's watches say when, nothing
 * polls.
 *
 * <p>Not thread-safe: used on the thread that follows the watch.
 */
final class WatchedTable implements ClusterWatcher.Listener {
  /** One row: its key (a name or id) and its cells. */
  record Row(String key, Object[] cells) {}

  private final Roamctl root;
  private final Table table;
  private final Supplier<List<Row>> rows;
  private final Predicate<WatchEvent> nodeMatters;
  private final Predicate<Event> eventMatters;
  private final int stateColumn;
  private final List<Integer> ignoredColumns;
  /** What was last printed of each row, without the ignored columns. */
  private final Map<String, List<Object>> printed = new LinkedHashMap<>();

  /**
   * @param stateColumn where a deleted row says "deleted"
   * @param ignoredColumns columns whose change alone is not worth a line (measured loads, which move all the time)
   */
  WatchedTable(Roamctl root, Table table, Supplier<List<Row>> rows, Predicate<WatchEvent> nodeMatters,
      Predicate<Event> eventMatters, int stateColumn, List<Integer> ignoredColumns) {
    this.root = root;
    this.table = table;
    this.rows = rows;
    this.nodeMatters = nodeMatters;
    this.eventMatters = eventMatters;
    this.stateColumn = stateColumn;
    this.ignoredColumns = ignoredColumns;
  }

  /** Prints the table, then its changes until interrupted. */
  int watch() throws Exception {
    if (root.structured()) {
      throw new picocli.CommandLine.ParameterException(root.spec.commandLine(),
          "-w prints a table and its changes; for scripts, follow `roamctl events -f -o json`");
    }
    new ClusterWatcher(root, null).follow(this);
    return Roamctl.OK;
  }

  @Override
  public void synced() {
    for (Row r : rows.get()) {
      table.row(r.cells());
      printed.put(r.key(), compared(r.cells()));
    }
    table.print(root.out);
    root.out.flush();
  }

  @Override
  public void node(WatchEvent change) {
    if (nodeMatters.test(change)) {
      refresh();
    }
  }

  @Override
  public void event(Event e) {
    if (eventMatters.test(e)) {
      refresh();
    }
  }

  private void refresh() {
    List<Row> now = rows.get();
    List<String> present = new ArrayList<>();
    for (Row r : now) {
      present.add(r.key());
      List<Object> c = compared(r.cells());
      if (!c.equals(printed.get(r.key()))) {
        printed.put(r.key(), c);
        table.printRow(root.out, r.cells());
      }
    }
    for (String gone : new ArrayList<>(printed.keySet())) {
      if (!present.contains(gone)) {
        printed.remove(gone);
        Object[] cells = new Object[table.columns()];
        Arrays.fill(cells, "-");
        cells[0] = gone;
        cells[stateColumn] = "deleted";
        table.printRow(root.out, cells);
      }
    }
  }

  private List<Object> compared(Object[] cells) {
    List<Object> c = new ArrayList<>();
    for (int i = 0; i < cells.length; i++) {
      c.add(ignoredColumns.contains(i) ? null : String.valueOf(cells[i]));
    }
    return c;
  }
}
