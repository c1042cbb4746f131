package io.roam.common.metrics;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The registry of one master or agent process. */
public final class Registries {
  private Registries() {}

  /**
   * A new registry holding the client library's standard JVM and process metrics ({@code jvm_*},
   * {@code process_*}) besides whatever Roam registers in it. One per process: the JVM metrics
   * describe the whole JVM.
   */
  public static PrometheusRegistry withJvmMetrics() {
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    return registry;
  }
}
