package io.roam.agent.cluster;

/** Where the agent reports what happened (the cluster's event log in ZooKeeper). Never throws. */
public interface EventSink {
  void event(String kind, String vm, String message);

  EventSink NONE = (kind, vm, message) -> { };
}
