package io.roam.chaos;

import io.roam.chaos.Op.Outcome;
import io.roam.chaos.Op.Type;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the clients' own history (pure: history in, violations out). The workload makes each key a
 * register written by one client with increasing numbers, and each counter incremented by one
 * client, so that these rules are exact:
 *
 * <ul>
 *   <li>A read returns a value not older than the last write acknowledged before the read began
 *       (for the harness's own reads after a round: "acknowledged-write-lost"; for a client's read:
 *       "stale-read"), and not newer than the last write invoked (acknowledged or unknown) before the
 *       read ended ("read-of-unwritten-value").
 *   <li>One client's reads of a key never go backwards ("read-went-backwards").
 *   <li>A counter's value read by the harness lies between the acknowledged increments and the
 *       acknowledged plus unknown ones ("increment-lost" / "increment-applied-twice"); two
 *       acknowledged increments never return the same number.
 * </ul>
 *
 * Reads of a missing key count as value 0. Harness reads are those of clients below zero.
 */
public final class HistoryChecker {
  private HistoryChecker() {}

  public static List<Violation> check(List<Op> history) {
    List<Violation> out = new ArrayList<>();
    Map<String, List<Op>> byKey = new LinkedHashMap<>();
    for (Op op : history) {
      byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
      List<Op> ops = e.getValue();
      if (ops.stream().anyMatch(o -> o.type() == Type.INCR)) {
        checkCounter(e.getKey(), ops, out);
      } else {
        checkRegister(e.getKey(), ops, out);
      }
    }
    return out;
  }

  /** Writes of one key, with running maxima for binary search by time. */
  private static final class Writes {
    final long[] times;
    final long[] maxValue;
    final Op[] maxOp;

    Writes(List<Op> writes, boolean byReturn) {
      List<Op> sorted = new ArrayList<>(writes);
      sorted.sort(Comparator.comparingLong(o -> byReturn ? o.returnNanos() : o.invokeNanos()));
      times = new long[sorted.size()];
      maxValue = new long[sorted.size()];
      maxOp = new Op[sorted.size()];
      long max = 0;
      Op at = null;
      for (int i = 0; i < sorted.size(); i++) {
        Op o = sorted.get(i);
        times[i] = byReturn ? o.returnNanos() : o.invokeNanos();
        if (o.value() >= max) {
          max = o.value();
          at = o;
        }
        maxValue[i] = max;
        maxOp[i] = at;
      }
    }

    /** Index of the last write whose time is before {@code t}, or -1. */
    int before(long t) {
      int lo = 0;
      int hi = times.length - 1;
      int found = -1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        if (times[mid] < t) {
          found = mid;
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      return found;
    }
  }

  private static void checkRegister(String key, List<Op> ops, List<Violation> out) {
    List<Op> acked = ops.stream().filter(o -> o.type() == Type.PUT && o.outcome() == Outcome.OK).toList();
    List<Op> maybe = ops.stream().filter(o -> o.type() == Type.PUT && o.outcome() != Outcome.FAIL).toList();
    Writes ackedByReturn = new Writes(acked, true);
    Writes maybeByInvoke = new Writes(maybe, false);
    Map<Integer, Op> lastReadByClient = new HashMap<>();
    for (Op read : ops) {
      if (read.type() != Type.GET || read.outcome() != Outcome.OK) {
        continue;
      }
      int i = ackedByReturn.before(read.invokeNanos());
      if (i >= 0 && read.value() < ackedByReturn.maxValue[i]) {
        out.add(new Violation(read.client() < 0 ? "acknowledged-write-lost" : "stale-read", key,
            "read " + read + " returned " + read.value() + " but write " + ackedByReturn.maxOp[i]
                + " was acknowledged before the read began"));
      }
      int j = maybeByInvoke.before(read.returnNanos());
      long upper = j >= 0 ? maybeByInvoke.maxValue[j] : 0;
      if (read.value() > upper) {
        out.add(new Violation("read-of-unwritten-value", key, "read " + read + " returned " + read.value()
            + " but the highest value written before it ended was " + upper));
      }
      Op previous = lastReadByClient.get(read.client());
      if (previous != null && previous.returnNanos() <= read.invokeNanos() && read.value() < previous.value()) {
        out.add(new Violation("read-went-backwards", key, "read " + read + " after read " + previous));
      }
      lastReadByClient.put(read.client(), read);
    }
  }

  private static void checkCounter(String key, List<Op> ops, List<Violation> out) {
    Map<Long, Op> returned = new HashMap<>();
    for (Op o : ops) {
      if (o.type() == Type.INCR && o.outcome() == Outcome.OK) {
        Op same = returned.put(o.value(), o);
        if (same != null) {
          out.add(new Violation("increment-applied-twice", key, "two acknowledged increments returned "
              + o.value() + ": " + same + " and " + o));
        }
      }
    }
    // Only the harness reads counters, after the clients were paused: then all increments are done.
    long countedAcked = 0;
    long countedUnknown = 0;
    for (Op o : ops) {
      if (o.type() == Type.INCR && o.outcome() == Outcome.OK) {
        countedAcked++;
      } else if (o.type() == Type.INCR && o.outcome() == Outcome.UNKNOWN) {
        countedUnknown++;
      } else if (o.type() == Type.GET && o.outcome() == Outcome.OK && o.client() < 0) {
        if (o.value() < countedAcked) {
          out.add(new Violation("increment-lost", key, "read " + o + " returned " + o.value() + " after "
              + countedAcked + " acknowledged increment(s) (" + countedUnknown + " unknown)"));
        } else if (o.value() > countedAcked + countedUnknown) {
          out.add(new Violation("increment-applied-twice", key, "read " + o + " returned " + o.value() + " after "
              + countedAcked + " acknowledged and " + countedUnknown + " unknown increment(s)"));
        }
      }
    }
  }
}
