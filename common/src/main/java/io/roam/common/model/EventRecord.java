package io.roam.common.model;

/**
 * Something that happened in the cluster, as an operator reads it in {@code roamctl events}: when,
 * what kind (e.g. vm.created, migration.completed), which VM and host it concerns, and why.
 */
public record EventRecord(long timeMillis, String kind, String vm, String host, String message) {}
