package io.roam.master.api;

import io.roam.master.events.EventLog;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.SchedulerOverrides;
import io.roam.proto.DrsSettingsRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** `roamctl drs set`: DRS and DPM settings changed at run time, checked, then kept in ZooKeeper. */
final class SchedulerSettingsAdmin {
  private SchedulerSettingsAdmin() {}

  /**
   * @param termStore the store bound to the leader's term: a master whose term ended changes nothing
   * @param check throws IllegalArgumentException when the overrides, applied to the masters'
   *     configuration, give settings that cannot be used (e.g. a DPM band outside 0..100 %)
   */
  static SchedulerOverrides apply(ClusterStore termStore, EventLog events, DrsSettingsRequest req,
      java.util.function.Consumer<SchedulerOverrides> check) throws Exception {
    if (req.getReset()) {
      termStore.setSchedulerOverrides(SchedulerOverrides.NONE);
      events.append("drs.settings", null, null, "reset to the masters' configuration");
      return SchedulerOverrides.NONE;
    }
    List<String> changed = new ArrayList<>();
    Integer threshold = null;
    String automation = null;
    String dpmLevel = null;
    Integer target = null;
    Integer tolerance = null;
    if (req.hasThreshold()) {
      if (req.getThreshold() < 1 || req.getThreshold() > 5) {
        throw MasterException.invalid("DRS threshold must be 1 to 5, got " + req.getThreshold());
      }
      threshold = req.getThreshold();
      changed.add("threshold " + threshold);
    }
    if (req.hasAutomation()) {
      automation = req.getAutomation().toLowerCase(Locale.ROOT);
      if (!List.of("manual", "partial", "full").contains(automation)) {
        throw MasterException.invalid("unknown DRS automation '" + req.getAutomation() + "': use manual, partial or"
            + " full");
      }
      changed.add("automation " + automation);
    }
    if (req.hasDpmLevel()) {
      dpmLevel = req.getDpmLevel().toLowerCase(Locale.ROOT);
      if (!List.of("off", "manual", "automatic").contains(dpmLevel)) {
        throw MasterException.invalid("unknown DPM level '" + req.getDpmLevel() + "': use off, manual or automatic");
      }
      changed.add("DPM " + dpmLevel);
    }
    if (req.hasDpmTargetPercent()) {
      target = req.getDpmTargetPercent();
      changed.add("DPM target " + target + " %");
    }
    if (req.hasDpmTolerancePercent()) {
      tolerance = req.getDpmTolerancePercent();
      changed.add("DPM tolerance " + tolerance + " %");
    }
    if (changed.isEmpty()) {
      throw MasterException.invalid("nothing to change: give --threshold, --automation, --dpm-level, --dpm-target,"
          + " --dpm-tolerance, or --reset");
    }
    SchedulerOverrides next = termStore.schedulerOverrides().merge(new SchedulerOverrides(threshold, automation,
        dpmLevel, target, tolerance));
    try {
      check.accept(next);
    } catch (IllegalArgumentException e) {
      throw MasterException.invalid(e.getMessage());
    }
    termStore.setSchedulerOverrides(next);
    events.append("drs.settings", null, null, String.join(", ", changed));
    return next;
  }
}
