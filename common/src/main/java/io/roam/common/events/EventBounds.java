package io.roam.common.events;

import io.roam.common.model.EventRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * The bounds of the cluster's event log (/roam/events), the same for every path that appends to it
 * (the masters' event log and the agents' event sinks): a field of an event is cut at a fixed
 * length with a marker saying how much was cut, and the log keeps only its newest events.
 *
 * <p>Trimming is decided by the sequence number ZooKeeper gives each event, which counts appends
 * of every writer together: whoever appends an event whose number is a multiple of
 * {@link #TRIM_EVERY} trims the log. The log so never holds more than about {@code keep +
 * TRIM_EVERY} events however the appends are spread over masters and agents, and a trim that was
 * missed (its writer died) is made up by the next one.
 *
 * <p>Thread-safety: stateless.
 */
public final class EventBounds {
  /** Longest message kept, in characters; beyond it the message is cut and marked. */
  public static final int MAX_MESSAGE = 2_000;
  /** Longest kind, VM or host name kept, in characters (names are far shorter when valid). */
  public static final int MAX_NAME = 128;
  /** One append in this many (by sequence number) trims the log. */
  public static final int TRIM_EVERY = 100;
  static final String MARKER = "...[cut ";

  private EventBounds() {}

  /** An event whose every field is within the bounds (null fields become empty). */
  public static EventRecord bounded(long timeMillis, String kind, String vm, String host, String message) {
    return new EventRecord(timeMillis, cut(kind, MAX_NAME), cut(vm, MAX_NAME), cut(host, MAX_NAME),
        cut(message, MAX_MESSAGE));
  }

  /** {@code text} if it has at most {@code max} characters, else its start and a marker with the count cut. */
  public static String cut(String text, int max) {
    if (text == null) {
      return "";
    }
    if (text.length() <= max) {
      return text;
    }
    int end = max;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--; // never half a character
    }
    return text.substring(0, end) + MARKER + (text.length() - end) + " characters]";
  }

  /** Whether the writer of the event at {@code createdPath} (a sequential node) trims the log. */
  public static boolean trimDue(String createdPath) {
    try {
      long seq = Long.parseLong(createdPath.substring(createdPath.lastIndexOf('-') + 1));
      return seq % TRIM_EVERY == 0;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The children of the event log to delete so that the newest {@code keep} remain, oldest first. */
  public static List<String> toTrim(List<String> children, int keep) {
    if (children.size() <= keep) {
      return List.of();
    }
    List<String> names = new ArrayList<>(children);
    names.sort(null); // zero-padded sequence numbers sort in order
    return names.subList(0, names.size() - keep);
  }
}
