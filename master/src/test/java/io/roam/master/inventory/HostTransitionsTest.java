package io.roam.master.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.master.drs.model.HostMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The host-state transition table (issue 9, window 11): every event from every mode, written out
 * in full so that a change to the table shows here. "=" is "already there, nothing written", "x"
 * a refusal, otherwise the mode it leads to (and "+wf" / "-wf": wake-failed set / cleared).
 */
class HostTransitionsTest {
  private static final long NOW = 42;

  //                                       CONNECTED  ENT_MAINT  MAINT      ENT_STBY   STANDBY    WAKING     DISCONN
  private static final String[] TABLE = {
      "OPERATOR_ENTER_MAINTENANCE          ENT_MAINT  =          =          x          x          x          x",
      "OPERATOR_EXIT_MAINTENANCE           x          CONNECTED  CONNECTED  x          x          x          x",
      "OPERATOR_POWER_OFF                  ENT_STBY   x          ENT_STBY   =          =          x          x",
      "OPERATOR_POWER_ON                   x          x          x          x          WAKING     =          x",
      "DPM_ENTER_STANDBY                   ENT_STBY   x          x          =          x          x          x",
      "DPM_CANCEL_STANDBY                  =          x          x          CONNECTED  x          x          x",
      "EVACUATED                           x          MAINT      =          x          x          x          x",
      "POWERED_OFF                         x          x          x          STANDBY    =          x          x",
      "STANDBY_FAILED                      x          x          x          CONNECTED  x          x          x",
      "WAKE                                x          x          x          x          WAKING     =          x",
      "WAKE_FAILED                         x          x          x          x          STANDBY+wf STANDBY+wf x",
      "AGENT_BACK                          =          x          x          x          CONNECTED  CONNECTED  x",
  };

  private static final HostMode[] COLUMNS = {HostMode.CONNECTED, HostMode.ENTERING_MAINTENANCE, HostMode.MAINTENANCE,
      HostMode.ENTERING_STANDBY, HostMode.STANDBY, HostMode.WAKING, HostMode.DISCONNECTED};

  @Test
  void everyEventFromEveryModeDoesWhatTheTableSays() {
    assertThat(COLUMNS).hasSize(HostMode.values().length);
    assertThat(TABLE).hasSize(HostEvent.values().length);
    List<String> actual = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (String row : TABLE) {
      String[] cells = row.trim().split("\\s+");
      HostEvent e = HostEvent.valueOf(cells[0]);
      for (int i = 0; i < COLUMNS.length; i++) {
        HostControl from = HostControl.CONNECTED.withMode(COLUMNS[i], 1, "dpm");
        expected.add(e + " from " + COLUMNS[i] + ": " + cells[i + 1]);
        actual.add(e + " from " + COLUMNS[i] + ": " + cell(HostTransitions.apply(from, e, NOW)));
      }
    }
    assertThat(actual).containsExactlyElementsOf(expected);
  }

  private static String cell(HostTransition t) {
    if (t.refused()) {
      assertThat(t.refusal()).as("a refusal is one line").doesNotContain("\n").startsWith("the host is ");
      assertThat(t.after()).isEqualTo(t.before());
      return "x";
    }
    if (!t.changes()) {
      return "=";
    }
    String mode = switch (t.after().mode()) {
      case ENTERING_MAINTENANCE -> "ENT_MAINT";
      case MAINTENANCE -> "MAINT";
      case ENTERING_STANDBY -> "ENT_STBY";
      default -> t.after().mode().name();
    };
    if (t.after().wakeFailed() != t.before().wakeFailed()) {
      mode += t.after().wakeFailed() ? "+wf" : "-wf";
    }
    return mode;
  }

  @Test
  void aModeChangeRecordsWhenAndWhoAndKeepsTheHostsDpmLevel() {
    HostControl c = HostControl.CONNECTED.withDpm("manual");
    HostControl entering = HostTransitions.apply(c, HostEvent.OPERATOR_ENTER_MAINTENANCE, NOW).after();
    assertThat(entering).isEqualTo(new HostControl(HostMode.ENTERING_MAINTENANCE, false, NOW, "operator", "manual"));
    // The host is emptied: it stays the operator's maintenance.
    assertThat(HostTransitions.apply(entering, HostEvent.EVACUATED, NOW + 1).after().by()).isEqualTo("operator");
  }

  @Test
  void dpmDoesNotCancelAStandbyAnOperatorAskedFor() {
    HostControl byOperator = HostTransitions.apply(HostControl.CONNECTED, HostEvent.OPERATOR_POWER_OFF, NOW).after();
    HostTransition t = HostTransitions.apply(byOperator, HostEvent.DPM_CANCEL_STANDBY, NOW);
    assertThat(t.refusal()).isEqualTo("the host is entering standby: an operator asked for standby; DPM does not"
        + " cancel it");
  }

  @Test
  void dpmDoesNotWakeAHostWhoseWakeFailedButAnOperatorMay() {
    HostControl failed = HostControl.CONNECTED.withMode(HostMode.STANDBY, 1, "dpm").withWakeFailed(true);
    assertThat(HostTransitions.apply(failed, HostEvent.WAKE, NOW).refusal()).contains("its last wake failed");
    HostControl woken = HostTransitions.apply(failed, HostEvent.OPERATOR_POWER_ON, NOW).after();
    assertThat(woken.mode()).isEqualTo(HostMode.WAKING);
    assertThat(woken.wakeFailed()).isFalse();
    // A power-on that fails at once marks the standby host.
    assertThat(HostTransitions.apply(HostControl.CONNECTED.withMode(HostMode.STANDBY, 1, "dpm"), HostEvent.WAKE_FAILED,
        NOW).after().wakeFailed()).isTrue();
    assertThat(HostTransitions.label(HostMode.ENTERING_STANDBY)).isEqualTo("entering standby");
    assertThat(HostEvent.AGENT_BACK.by().toLowerCase(Locale.ROOT)).isEqualTo("host-monitor");
  }
}
