package io.roam.common.model;

/** What an agent says about its host in ZooKeeper (/roam/hosts/&lt;name&gt;). */
public record HostRecord(String name, String address, int port, int cores, long memoryBytes, String datastore) {}
