package io.roam.agent.vm;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** An EndpointPublisher for tests: the published endpoints, by VM, in a map. */
public final class RecordingEndpoints implements EndpointPublisher {
  public final Map<String, String> published = new ConcurrentHashMap<>();

  @Override
  public void publish(String vm, String endpoint) {
    published.put(vm, endpoint);
  }

  @Override
  public void withdraw(String vm, String endpoint) {
    published.remove(vm, endpoint);
  }
}
