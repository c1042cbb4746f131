package io.roam.common.model;

/** Where a VM may run, and at which ownership epoch (DESIGN.md invariant 1). */
public record OwnerRecord(String host, long epoch) {}
