package io.roam.agent.vm;

/** Makes a VM's service address findable by clients (ZooKeeper in production). */
public interface EndpointPublisher {
  void publish(String vm, String endpoint);

  void withdraw(String vm);

  EndpointPublisher NONE = new EndpointPublisher() {
    @Override
    public void publish(String vm, String endpoint) {}

    @Override
    public void withdraw(String vm) {}
  };
}
