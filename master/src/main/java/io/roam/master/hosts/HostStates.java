package io.roam.master.hosts;

import io.roam.master.drs.model.HostMode;
import java.util.Optional;
import java.util.Set;

/**
 * The one reading of a host's state that everything shows (`host ls`, metrics, the dashboard):
 * its mode (maintenance, standby...) from its control record, which the leader and operators write
 * and tasks follow, and the leader's health verdict (not responding, isolated, failed) from the
 * state it publishes. The published state is a copy the leader's HA pass makes of both; read for
 * the mode, it trails the control record by up to a pass (a `power off --wait` returned while
 * `host ls` still said entering-standby).
 *
 * <p>Pure functions. Thread-safe.
 */
public final class HostStates {
  private HostStates() {}

  private static final Set<String> VERDICTS = Set.of(HostState.NOT_RESPONDING.label(), HostState.ISOLATED.label(),
      HostState.FAILED.label());

  /** The state a host in mode {@code m} has while healthy. */
  static HostState fromMode(HostMode m) {
    return switch (m) {
      case ENTERING_MAINTENANCE -> HostState.ENTERING_MAINTENANCE;
      case MAINTENANCE -> HostState.MAINTENANCE;
      case ENTERING_STANDBY -> HostState.ENTERING_STANDBY;
      case STANDBY -> HostState.STANDBY;
      case WAKING -> HostState.WAKING;
      default -> HostState.CONNECTED;
    };
  }

  /** A host powered off on purpose, or being so: its going away is no alarm (HostMonitor judges it so). */
  static boolean expectedDown(HostMode m) {
    return m == HostMode.STANDBY || m == HostMode.WAKING || m == HostMode.ENTERING_STANDBY;
  }

  /**
   * What a host's state is shown as.
   *
   * @param live whether its ZooKeeper session is there now
   * @param published the state the leader last published for it, if any
   */
  public static String shown(HostMode mode, boolean live, Optional<String> published) {
    Optional<String> verdict = published.filter(VERDICTS::contains)
        .filter(v -> live ? v.equals(HostState.NOT_RESPONDING.label()) : !expectedDown(mode));
    if (verdict.isPresent()) {
      return verdict.get();
    }
    HostState healthy = fromMode(mode);
    if (!live && healthy == HostState.CONNECTED) {
      return "disconnected"; // gone, and no leader has judged it since
    }
    return healthy.label();
  }
}
