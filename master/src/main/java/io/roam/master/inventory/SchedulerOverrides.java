package io.roam.master.inventory;

/**
 * DRS and DPM settings changed at run time (`roamctl drs set`), kept at /roam/config/scheduler so
 * that every leader applies them; a null field leaves the master's configured value.
 */
public record SchedulerOverrides(Integer threshold, String automation, String dpmLevel, Integer dpmTargetPercent,
    Integer dpmTolerancePercent) {
  public static final SchedulerOverrides NONE = new SchedulerOverrides(null, null, null, null, null);

  /** This, with the non-null fields of {@code o} taking over. */
  public SchedulerOverrides merge(SchedulerOverrides o) {
    return new SchedulerOverrides(o.threshold != null ? o.threshold : threshold,
        o.automation != null ? o.automation : automation, o.dpmLevel != null ? o.dpmLevel : dpmLevel,
        o.dpmTargetPercent != null ? o.dpmTargetPercent : dpmTargetPercent,
        o.dpmTolerancePercent != null ? o.dpmTolerancePercent : dpmTolerancePercent);
  }
}
