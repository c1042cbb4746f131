package io.roam.common.model;

import java.util.List;
import java.util.Locale;

/**
 * How HA and DRS treat one VM (kept by the master with the VM record).
 *
 * @param restartPriority high, medium, low or disabled: HA restarts higher priorities first, and
 *     not at all when disabled
 * @param drsAutomation empty for the cluster's level, else manual, partial, full or disabled
 */
public record VmPolicy(String restartPriority, String drsAutomation) {
  public static final List<String> PRIORITIES = List.of("high", "medium", "low", "disabled");
  public static final List<String> AUTOMATIONS = List.of("", "manual", "partial", "full", "disabled");
  public static final VmPolicy DEFAULT = new VmPolicy("medium", "");

  public VmPolicy {
    restartPriority = restartPriority == null || restartPriority.isBlank() ? "medium"
        : restartPriority.toLowerCase(Locale.ROOT);
    drsAutomation = drsAutomation == null ? "" : drsAutomation.toLowerCase(Locale.ROOT);
  }

  /** Null when usable, else why not. */
  public String check() {
    if (!PRIORITIES.contains(restartPriority)) {
      return "unknown restart priority '" + restartPriority + "': use high, medium, low or disabled";
    }
    if (!AUTOMATIONS.contains(drsAutomation)) {
      return "unknown DRS automation '" + drsAutomation + "': use manual, partial, full or disabled";
    }
    return null;
  }

  /** Restart order: 0 first. */
  public int restartRank() {
    return PRIORITIES.indexOf(restartPriority);
  }
}
