package io.roam.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.chaos.Op.Outcome;
import io.roam.chaos.Op.Type;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fixtures for the history rules: each rule caught, and a correct history passes. */
class HistoryCheckerTest {
  private static Op put(long v, long inv, long ret, Outcome o) {
    return new Op(0, "kv0", Type.PUT, "k", v, inv, ret, o, "");
  }

  private static Op get(int client, long inv, long ret, long v) {
    return new Op(client, "kv0", Type.GET, "k", v, inv, ret, Outcome.OK, "");
  }

  private static Op incr(long v, Outcome o) {
    return new Op(0, "kv0", Type.INCR, "n", v, 0, 1, o, "");
  }

  private static Op readCounter(long v) {
    return new Op(-1, "kv0", Type.GET, "n", v, 10, 11, Outcome.OK, "");
  }

  private static List<String> invariants(List<Op> h) {
    return HistoryChecker.check(h).stream().map(Violation::invariant).toList();
  }

  @Test
  void aLinearizableHistoryPasses() {
    assertThat(HistoryChecker.check(List.of(put(1, 0, 10, Outcome.OK), get(1, 5, 8, 0), put(2, 20, 30, Outcome.UNKNOWN),
        get(1, 25, 26, 2), get(-1, 40, 41, 2), incr(1, Outcome.OK), incr(0, Outcome.UNKNOWN), readCounter(2)))).isEmpty();
  }

  @Test
  void anAcknowledgedWriteMissingFromTheHarnessReadIsLost() {
    assertThat(invariants(List.of(put(1, 0, 10, Outcome.OK), put(2, 20, 30, Outcome.OK), get(-1, 40, 41, 1))))
        .containsExactly("acknowledged-write-lost");
  }

  @Test
  void aClientReadOlderThanAnAcknowledgedWriteIsStale() {
    assertThat(invariants(List.of(put(1, 0, 10, Outcome.OK), get(3, 11, 12, 0)))).containsExactly("stale-read");
  }

  @Test
  void aValueNeverWrittenOrAFailedWriteCannotBeRead() {
    assertThat(invariants(List.of(put(1, 0, 10, Outcome.FAIL), get(3, 11, 12, 1)))).containsExactly("read-of-unwritten-value");
    assertThat(invariants(List.of(put(1, 20, 30, Outcome.OK), get(3, 11, 12, 1)))).containsExactly("read-of-unwritten-value");
  }

  @Test
  void readsOfOneClientNeverGoBackwards() {
    // Both reads overlap an unknown write, so each alone is allowed; in sequence they went backwards.
    assertThat(invariants(List.of(put(1, 0, 100, Outcome.UNKNOWN), get(3, 10, 11, 1), get(3, 20, 21, 0))))
        .containsExactly("read-went-backwards");
  }

  @Test
  void countersCountEachIncrementOnce() {
    assertThat(invariants(List.of(incr(1, Outcome.OK), incr(2, Outcome.OK), readCounter(1)))).containsExactly("increment-lost");
    assertThat(invariants(List.of(incr(1, Outcome.OK), readCounter(2)))).containsExactly("increment-applied-twice");
    assertThat(invariants(List.of(incr(1, Outcome.OK), incr(1, Outcome.OK), readCounter(2))))
        .containsExactly("increment-applied-twice");
  }
}
