package io.roam.agent.vm;

/** Makes a VM's service address findable by clients (ZooKeeper in production). */
public interface EndpointPublisher {
  void publish(String vm, String endpoint);

  /**
   * Removes the VM's endpoint if it is still {@code endpoint}: after a migration the destination's
   * new endpoint must survive the source's cleanup.
   */
  void withdraw(String vm, String endpoint);

  EndpointPublisher NONE = new EndpointPublisher() {
    @Override
    public void publish(String vm, String endpoint) {}

    @Override
    public void withdraw(String vm, String endpoint) {}
  };
}
