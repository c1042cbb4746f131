package io.roam.master.inventory;

import java.util.Objects;

/**
 * The outcome of asking for a change of a host's control record: the record to write, or a
 * refusal with its reason (one line, for operators and the event log).
 *
 * @param before the record the change was applied to
 * @param after the record to write; equal to {@code before} when there is nothing to write
 * @param refusal why the change is not allowed, or null when it is
 */
public record HostTransition(HostControl before, HostControl after, String refusal) {
  public static HostTransition to(HostControl before, HostControl after) {
    return new HostTransition(before, Objects.requireNonNull(after), null);
  }

  /** Already where the event leads: nothing to write, not an error. */
  public static HostTransition unchanged(HostControl current) {
    return new HostTransition(current, current, null);
  }

  public static HostTransition refused(HostControl current, String why) {
    return new HostTransition(current, current, Objects.requireNonNull(why));
  }

  public boolean refused() {
    return refusal != null;
  }

  /** Whether there is something to write. */
  public boolean changes() {
    return refusal == null && !after.equals(before);
  }
}
