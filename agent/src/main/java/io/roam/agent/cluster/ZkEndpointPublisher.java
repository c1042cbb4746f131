package io.roam.agent.cluster;

import io.roam.agent.vm.EndpointPublisher;
import io.roam.common.ZkPaths;
import java.nio.charset.StandardCharsets;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a VM's endpoint at /roam/vms/&lt;vm&gt;/endpoint, in the background so that a slow
 * ZooKeeper never holds up a VM operation. A VM the master does not know (no VM node) is skipped.
 */
public final class ZkEndpointPublisher implements EndpointPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(ZkEndpointPublisher.class);
  private final CuratorFramework zk;

  public ZkEndpointPublisher(CuratorFramework zk) {
    this.zk = zk;
  }

  @Override
  public void publish(String vm, String endpoint) {
    try {
      zk.create().orSetData().inBackground((c, e) -> {
        if (e.getResultCode() != 0) {
          LOG.warn("could not publish endpoint of VM {}: ZooKeeper code {}", vm, e.getResultCode());
        }
      }).forPath(ZkPaths.vmEndpoint(vm), endpoint.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      LOG.warn("could not publish endpoint of VM {}: {}", vm, e.toString());
    }
  }

  @Override
  public void withdraw(String vm, String endpoint) {
    try {
      org.apache.zookeeper.data.Stat stat = new org.apache.zookeeper.data.Stat();
      byte[] current = zk.getData().storingStatIn(stat).forPath(ZkPaths.vmEndpoint(vm));
      if (endpoint.equals(new String(current, StandardCharsets.UTF_8))) {
        zk.delete().withVersion(stat.getVersion()).inBackground().forPath(ZkPaths.vmEndpoint(vm));
      }
    } catch (org.apache.zookeeper.KeeperException.NoNodeException e) {
      // nothing published
    } catch (Exception e) {
      LOG.warn("could not withdraw endpoint of VM {}: {}", vm, e.toString());
    }
  }
}
