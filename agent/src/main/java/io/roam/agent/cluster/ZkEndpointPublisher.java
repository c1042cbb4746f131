package io.roam.agent.cluster;

import io.roam.agent.vm.EndpointPublisher;
import io.roam.common.ZkPaths;
import java.nio.charset.StandardCharsets;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a VM's endpoint at /roam/vms/&lt;vm&gt;/endpoint. Writes run in order on one background
 * thread, so a slow ZooKeeper never holds up a VM operation, and are retried a few times: a lost
 * endpoint would leave the VM's clients with nowhere to go. A VM the master does not know (no VM
 * node) is skipped.
 */
public final class ZkEndpointPublisher implements EndpointPublisher, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ZkEndpointPublisher.class);
  private final CuratorFramework zk;
  private final java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "endpoint-publisher");
    t.setDaemon(true);
    return t;
  });

  public ZkEndpointPublisher(CuratorFramework zk) {
    this.zk = zk;
  }

  @Override
  public void publish(String vm, String endpoint) {
    writer.execute(() -> {
      byte[] data = endpoint.getBytes(StandardCharsets.UTF_8);
      for (int attempt = 1; attempt <= 5; attempt++) {
        try {
          if (zk.checkExists().forPath(ZkPaths.vm(vm)) == null) {
            return; // not a VM of the cluster's inventory
          }
          try {
            zk.setData().forPath(ZkPaths.vmEndpoint(vm), data);
          } catch (org.apache.zookeeper.KeeperException.NoNodeException e) {
            zk.create().forPath(ZkPaths.vmEndpoint(vm), data);
          }
          return;
        } catch (Exception e) {
          LOG.warn("could not publish endpoint {} of VM {} (attempt {}): {}", endpoint, vm, attempt, e.toString());
        }
      }
    });
  }

  @Override
  public void withdraw(String vm, String endpoint) {
    writer.execute(() -> {
      try {
        org.apache.zookeeper.data.Stat stat = new org.apache.zookeeper.data.Stat();
        byte[] current = zk.getData().storingStatIn(stat).forPath(ZkPaths.vmEndpoint(vm));
        if (endpoint.equals(new String(current, StandardCharsets.UTF_8))) {
          zk.delete().withVersion(stat.getVersion()).forPath(ZkPaths.vmEndpoint(vm));
        }
      } catch (org.apache.zookeeper.KeeperException.NoNodeException
          | org.apache.zookeeper.KeeperException.BadVersionException e) {
        // nothing published, or someone published a newer endpoint: leave it
      } catch (Exception e) {
        LOG.warn("could not withdraw endpoint of VM {}: {}", vm, e.toString());
      }
    });
  }

  @Override
  public void close() {
    writer.shutdown();
  }
}
