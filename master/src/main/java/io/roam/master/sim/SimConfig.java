package io.roam.master.sim;

import io.roam.master.dpm.DpmSettings;
import io.roam.master.drs.DrsSettings;

/**
 * One simulated run.
 *
 * @param stepMs how often demand is sampled (and the clock advances)
 * @param passMs how often DRS and DPM run (vSphere: 5 min)
 * @param bootMs how long a woken host takes to take VMs
 * @param dpm null to leave every host on
 */
public record SimConfig(String name, int hosts, double coresPerHost, long hostMemory, int vms, long vmMemory,
    DemandTrace trace, long durationMs, long stepMs, long passMs, long bootMs, DrsSettings drs, DpmSettings dpm) {}
