package io.roam.agent.vm;

import io.roam.common.model.VmSpec;

/** An immutable picture of one VM on this agent, for describe and list. */
public record VmView(VmSpec spec, VmState state, long cpuNanos, long cpuWaitNanos, long steps, long heartbeat,
    double dirtyPagesPerSecond, String endpoint, int exitCode, String logTail, long ownerEpoch, boolean leaseExpired, int throttlePercent,
    long pid, String migrationId) {}
