package io.roam.master.inventory;

import io.roam.master.drs.model.HostMode;
import java.util.Locale;

/**
 * The one model of a host's mode: what each {@link HostEvent} does from each {@link HostMode}. A
 * pure function; {@link ClusterStore#updateHostControl} applies it by compare-and-set, so that the
 * host monitor, the scheduler and operators never undo one another's writes (a change made on a
 * stale read is re-applied to the fresh record, where the table may refuse it).
 *
 * <pre>
 *   event                       from                                  to                  already there
 *   OPERATOR_ENTER_MAINTENANCE  CONNECTED                             ENTERING_MAINT.     ENTERING_MAINT., MAINTENANCE
 *   OPERATOR_EXIT_MAINTENANCE   ENTERING_MAINT., MAINTENANCE          CONNECTED           -
 *   OPERATOR_POWER_OFF          CONNECTED, MAINTENANCE                ENTERING_STANDBY    ENTERING_STANDBY, STANDBY
 *   OPERATOR_POWER_ON           STANDBY                               WAKING (clears wake-failed)  WAKING
 *   DPM_ENTER_STANDBY           CONNECTED                             ENTERING_STANDBY    ENTERING_STANDBY
 *   DPM_CANCEL_STANDBY          ENTERING_STANDBY asked by DPM         CONNECTED           CONNECTED
 *   EVACUATED                   ENTERING_MAINT.                       MAINTENANCE         MAINTENANCE
 *   POWERED_OFF                 ENTERING_STANDBY                      STANDBY             STANDBY
 *   STANDBY_FAILED              ENTERING_STANDBY                      CONNECTED           -
 *   WAKE                        STANDBY, not wake-failed              WAKING              WAKING
 *   WAKE_FAILED                 WAKING, STANDBY                       STANDBY, wake-failed  STANDBY and wake-failed
 *   AGENT_BACK                  WAKING, STANDBY                       CONNECTED (clears wake-failed)  CONNECTED
 * </pre>
 *
 * Every other pair is refused with a reason. "Already there" is not an error and writes nothing:
 * it makes a retried request (or a compare-and-set whose reply was lost) harmless.
 */
public final class HostTransitions {
  private HostTransitions() {}

  public static HostTransition apply(HostControl c, HostEvent e, long nowMs) {
    HostMode m = c.mode();
    return switch (e) {
      case OPERATOR_ENTER_MAINTENANCE -> m == HostMode.CONNECTED ? move(c, e, HostMode.ENTERING_MAINTENANCE, nowMs)
          : m == HostMode.ENTERING_MAINTENANCE || m == HostMode.MAINTENANCE ? HostTransition.unchanged(c)
          : refuse(c, "only a connected host can enter maintenance");
      case OPERATOR_EXIT_MAINTENANCE -> m == HostMode.MAINTENANCE || m == HostMode.ENTERING_MAINTENANCE
          ? move(c, e, HostMode.CONNECTED, nowMs) : refuse(c, "it is not in maintenance");
      case OPERATOR_POWER_OFF -> m == HostMode.CONNECTED || m == HostMode.MAINTENANCE
          ? move(c, e, HostMode.ENTERING_STANDBY, nowMs)
          : m == HostMode.ENTERING_STANDBY || m == HostMode.STANDBY ? HostTransition.unchanged(c)
          : refuse(c, "power off a connected host or one in maintenance");
      case OPERATOR_POWER_ON -> m == HostMode.STANDBY
          ? HostTransition.to(c, c.withMode(HostMode.WAKING, nowMs, e.by()).withWakeFailed(false))
          : m == HostMode.WAKING ? HostTransition.unchanged(c) : refuse(c, "only a host in standby can be powered on");
      case DPM_ENTER_STANDBY -> m == HostMode.CONNECTED ? move(c, e, HostMode.ENTERING_STANDBY, nowMs)
          : m == HostMode.ENTERING_STANDBY ? HostTransition.unchanged(c) : refuse(c, "DPM parks only connected hosts");
      case DPM_CANCEL_STANDBY -> m == HostMode.CONNECTED ? HostTransition.unchanged(c)
          : m != HostMode.ENTERING_STANDBY ? refuse(c, "it is not being emptied for standby")
          : !c.by().equals(HostEvent.DPM_ENTER_STANDBY.by()) ? refuse(c, "an operator asked for standby; DPM does not"
              + " cancel it")
          : move(c, e, HostMode.CONNECTED, nowMs);
      case EVACUATED -> m == HostMode.ENTERING_MAINTENANCE ? HostTransition.to(c, c.withMode(HostMode.MAINTENANCE,
          nowMs, c.by())) : m == HostMode.MAINTENANCE ? HostTransition.unchanged(c)
          : refuse(c, "it is not entering maintenance");
      case POWERED_OFF -> m == HostMode.ENTERING_STANDBY ? HostTransition.to(c, c.withMode(HostMode.STANDBY, nowMs,
          c.by())) : m == HostMode.STANDBY ? HostTransition.unchanged(c) : refuse(c, "it is not entering standby");
      case STANDBY_FAILED -> m == HostMode.ENTERING_STANDBY ? move(c, e, HostMode.CONNECTED, nowMs)
          : refuse(c, "it is not entering standby");
      case WAKE -> m == HostMode.WAKING ? HostTransition.unchanged(c)
          : m != HostMode.STANDBY ? refuse(c, "only a host in standby can be woken")
          : c.wakeFailed() ? refuse(c, "its last wake failed; DPM leaves it alone until an operator clears it")
          : move(c, e, HostMode.WAKING, nowMs);
      case WAKE_FAILED -> m == HostMode.STANDBY && c.wakeFailed() ? HostTransition.unchanged(c)
          : m == HostMode.WAKING ? HostTransition.to(c, c.withMode(HostMode.STANDBY, nowMs, e.by()).withWakeFailed(true))
          : m == HostMode.STANDBY ? HostTransition.to(c, c.withWakeFailed(true))
          : refuse(c, "it is not waking");
      case AGENT_BACK -> m == HostMode.WAKING || m == HostMode.STANDBY
          ? HostTransition.to(c, c.withMode(HostMode.CONNECTED, nowMs, e.by()).withWakeFailed(false))
          : m == HostMode.CONNECTED ? HostTransition.unchanged(c) : refuse(c, "it is not waking or in standby");
    };
  }

  private static HostTransition move(HostControl c, HostEvent e, HostMode to, long nowMs) {
    return HostTransition.to(c, c.withMode(to, nowMs, e.by()));
  }

  private static HostTransition refuse(HostControl c, String why) {
    return HostTransition.refused(c, "the host is " + label(c.mode()) + ": " + why);
  }

  public static String label(HostMode m) {
    return m.name().toLowerCase(Locale.ROOT).replace('_', ' ');
  }
}
