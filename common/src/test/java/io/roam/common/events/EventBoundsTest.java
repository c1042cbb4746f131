package io.roam.common.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.model.EventRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventBoundsTest {
  @Test
  void aHugeMessageIsCutWithAMarkerAndShortOnesAreKept() {
    EventRecord e = EventBounds.bounded(1, "vm.crashed", "web", "h1", "x".repeat(1_000_000));
    assertThat(e.message()).hasSizeLessThan(EventBounds.MAX_MESSAGE + 40)
        .startsWith("x".repeat(100)).endsWith("...[cut " + (1_000_000 - EventBounds.MAX_MESSAGE) + " characters]");
    assertThat(EventBounds.bounded(1, "k", "v", "h", "short").message()).isEqualTo("short");
    assertThat(EventBounds.bounded(1, "k", null, null, null)).isEqualTo(new EventRecord(1, "k", "", "", ""));
    assertThat(EventBounds.bounded(1, "k", "n".repeat(10_000), "h", "").vm()).hasSizeLessThan(EventBounds.MAX_NAME + 40);
  }

  @Test
  void aCutNeverSplitsACharacter() {
    String emoji = "\uD83D\uDE00";
    String cut = EventBounds.cut("a" + emoji.repeat(10), 2);
    assertThat(cut).startsWith("a...[cut ");
  }

  @Test
  void oneAppendInTrimEveryTrimsAndTheNewestKeepRemain() {
    assertThat(EventBounds.trimDue("/roam/events/e-0000000200")).isTrue();
    assertThat(EventBounds.trimDue("/roam/events/e-0000000201")).isFalse();
    List<String> children = List.of("e-0000000003", "e-0000000001", "e-0000000004", "e-0000000002");
    assertThat(EventBounds.toTrim(children, 2)).containsExactly("e-0000000001", "e-0000000002");
    assertThat(EventBounds.toTrim(children, 4)).isEmpty();
  }
}
