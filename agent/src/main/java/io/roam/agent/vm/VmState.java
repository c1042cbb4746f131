package io.roam.agent.vm;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * A VM's life on its agent.
 *
 * <pre>
 *  CREATED ──start──▶ STARTING ──booted──▶ RUNNING ⇄ PAUSED
 *     ▲                  │                   │
 *     │                  └──────┬────────────┤ stop            process died on its own
 *     │                         ▼            ▼                         │
 *     │                      STOPPING ──▶ STOPPED ◀─ poweroff     CRASHED ◀┘
 *     └───────── start (fresh boot) from STOPPED or CRASHED
 *
 *  CREATED ──prepare incoming──▶ INCOMING ──commit──▶ RUNNING   (destination of a migration:
 *                                   └──discard──▶ STOPPED        the JVM waits while pages arrive)
 * </pre>
 *
 * An illegal transition is a bug and fails loudly.
 */
public enum VmState {
  CREATED, STARTING, RUNNING, PAUSED, STOPPING, STOPPED, CRASHED, INCOMING;

  private static final Map<VmState, Set<VmState>> ALLOWED = Map.of(
      CREATED, EnumSet.of(STARTING, INCOMING),
      INCOMING, EnumSet.of(RUNNING, PAUSED, STOPPED, CRASHED),
      STARTING, EnumSet.of(RUNNING, PAUSED, STOPPING, STOPPED, CRASHED),
      RUNNING, EnumSet.of(PAUSED, STOPPING, STOPPED, CRASHED),
      PAUSED, EnumSet.of(RUNNING, STOPPING, STOPPED, CRASHED),
      STOPPING, EnumSet.of(STOPPED, CRASHED),
      STOPPED, EnumSet.of(STARTING),
      CRASHED, EnumSet.of(STARTING));

  public boolean canMoveTo(VmState next) {
    return this == next || ALLOWED.get(this).contains(next);
  }

  /** True while a VM process exists (or is being started). */
  public boolean hasProcess() {
    return this == STARTING || this == RUNNING || this == PAUSED || this == STOPPING || this == INCOMING;
  }
}
