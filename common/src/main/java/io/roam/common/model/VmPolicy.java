package io.roam.common.model;

import java.util.List;
import java.util.Locale;

/**
 * How HA and DRS treat one VM (kept by the master with the VM record).
 *
 * @param restartPriority high, medium, low or disabled: HA restarts higher priorities first, and
 *     not at all when disabled
 * @param drsAutomation empty for the cluster's level, else manual, partial, full or disabled
 * @param ft whether the VM is protected by a hot secondary (FT, DESIGN.md "Fault tolerance")
 * @param ftSecondary the host FT prefers for the secondary; empty: any other host with room
 * @param ftCheckpointMs FT's checkpoint interval; 0: {@link #DEFAULT_FT_CHECKPOINT_MS}
 */
public record VmPolicy(String restartPriority, String drsAutomation, boolean ft, String ftSecondary,
    long ftCheckpointMs) {
  public static final long DEFAULT_FT_CHECKPOINT_MS = 20;
  /** Each checkpoint pauses the VM; FT takes no interval shorter than this, nor longer than the max. */
  public static final long MIN_FT_CHECKPOINT_MS = 5;
  public static final long MAX_FT_CHECKPOINT_MS = 10_000;

  public static final List<String> PRIORITIES = List.of("high", "medium", "low", "disabled");
  public static final List<String> AUTOMATIONS = List.of("", "manual", "partial", "full", "disabled");
  public static final VmPolicy DEFAULT = new VmPolicy("medium", "");

  public VmPolicy {
    restartPriority = restartPriority == null || restartPriority.isBlank() ? "medium"
        : restartPriority.toLowerCase(Locale.ROOT);
    drsAutomation = drsAutomation == null ? "" : drsAutomation.toLowerCase(Locale.ROOT);
    ftSecondary = ftSecondary == null ? "" : ftSecondary;
  }

  public VmPolicy(String restartPriority, String drsAutomation) {
    this(restartPriority, drsAutomation, false, "", 0);
  }

  /** The checkpoint interval FT uses for this VM. */
  public long ftCheckpointIntervalMs() {
    return ftCheckpointMs == 0 ? DEFAULT_FT_CHECKPOINT_MS : ftCheckpointMs;
  }

  /** Null when usable, else why not. */
  public String check() {
    if (!PRIORITIES.contains(restartPriority)) {
      return "unknown restart priority '" + restartPriority + "': use high, medium, low or disabled";
    }
    if (!AUTOMATIONS.contains(drsAutomation)) {
      return "unknown DRS automation '" + drsAutomation + "': use manual, partial, full or disabled";
    }
    if (ftCheckpointMs != 0 && (ftCheckpointMs < MIN_FT_CHECKPOINT_MS || ftCheckpointMs > MAX_FT_CHECKPOINT_MS)) {
      return "FT checkpoint interval " + ftCheckpointMs + " ms is out of range: use " + MIN_FT_CHECKPOINT_MS + " to "
          + MAX_FT_CHECKPOINT_MS + " ms";
    }
    return null;
  }

  /** Restart order: 0 first. */
  public int restartRank() {
    return PRIORITIES.indexOf(restartPriority);
  }
}
