package io.roam.master.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.ZkPaths;
import io.roam.common.events.EventBounds;
import io.roam.master.inventory.ZkFixture;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10: the masters' path into the event log bounds what it writes (real ZooKeeper). */
class EventLogBoundsTest {
  @TempDir Path dir;

  @Test
  void theLogKeepsOnlyTheNewestEventsWhoeverAppends() throws Exception {
    try (ZkFixture f = new ZkFixture(dir)) {
      EventLog log = new EventLog(f.zk, 150);
      for (int i = 0; i < 1_000; i++) {
        log.append("test.event", "vm" + i, "h1", "event " + i);
      }
      int held = f.zk.getChildren().forPath(ZkPaths.EVENTS).size();
      assertThat(held).isBetween(150, 150 + EventBounds.TRIM_EVERY);
      List<EventLog.Entry> newest = log.list(-1, "", "", 10_000);
      assertThat(newest.get(newest.size() - 1).event().message()).isEqualTo("event 999");
      assertThat(newest).extracting(e -> e.event().message()).doesNotContain("event 0");
      // The newest few, oldest first, with or without a resume point and a filter.
      assertThat(log.list(-1, "", "", 3)).extracting(e -> e.event().message())
          .containsExactly("event 997", "event 998", "event 999");
      long seq998 = log.list(-1, "", "", 2).get(0).seq();
      assertThat(log.list(seq998, "", "", 3)).extracting(e -> e.event().message()).containsExactly("event 999");
      assertThat(log.list(-1, "vm950", "", 3)).extracting(e -> e.event().message()).containsExactly("event 950");
    }
  }

  @Test
  void aHugeMessageIsStoredCutWithAMarker() throws Exception {
    try (ZkFixture f = new ZkFixture(dir)) {
      EventLog log = new EventLog(f.zk, 150);
      log.append("vm.crashed", "web", "h1", "y".repeat(200_000));
      String stored = log.list(-1, "web", "", 10).get(0).event().message();
      assertThat(stored).hasSizeLessThan(EventBounds.MAX_MESSAGE + 40).contains("...[cut ");
    }
  }
}
