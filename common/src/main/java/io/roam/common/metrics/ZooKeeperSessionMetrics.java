package io.roam.common.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Locale;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;

/**
 * The state of this process's ZooKeeper session, as Curator reports it: {@code
 * roam_zookeeper_session_state{state}} is 1 for the current state and 0 for the others, and {@code
 * roam_zookeeper_session_transitions_total{state}} counts the changes into each state. A master or
 * agent whose session is suspended or lost no longer counts as alive for the cluster.
 * Thread-safe (Curator calls the listener on its own thread).
 */
public final class ZooKeeperSessionMetrics {
  private ZooKeeperSessionMetrics() {}

  public static void register(CuratorFramework zk, PrometheusRegistry registry) {
    Gauge state = Gauge.builder().name("roam_zookeeper_session_state")
        .help("1 for this process's current ZooKeeper session state (connected, reconnected, suspended, lost,"
            + " read_only), 0 for the others").labelNames("state").register(registry);
    Counter transitions = Counter.builder().name("roam_zookeeper_session_transitions_total")
        .help("Changes of this process's ZooKeeper session into each state").labelNames("state").register(registry);
    for (ConnectionState s : ConnectionState.values()) {
      state.labelValues(label(s)).set(0);
      transitions.labelValues(label(s)); // present at 0 from the start, so increase() sees the first one
    }
    boolean connected = zk.getZookeeperClient().isConnected();
    state.labelValues(label(connected ? ConnectionState.CONNECTED : ConnectionState.SUSPENDED)).set(1);
    zk.getConnectionStateListenable().addListener((client, next) -> {
      synchronized (state) {
        for (ConnectionState s : ConnectionState.values()) {
          state.labelValues(label(s)).set(s == next ? 1 : 0);
        }
      }
      transitions.labelValues(label(next)).inc();
    });
  }

  static String label(ConnectionState s) {
    return s.name().toLowerCase(Locale.ROOT);
  }
}
