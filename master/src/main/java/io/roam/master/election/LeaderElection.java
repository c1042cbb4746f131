package io.roam.master.election;

import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.master.inventory.ClusterStore;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Elects one leader among the masters with Curator's LeaderSelector. Each term takes a new epoch
 * from the store and publishes who leads at /roam/leader-info (ephemeral), so standbys can point
 * clients at it. A SUSPENDED or LOST connection ends the term at once (the adapter cancels it):
 * a master that cannot see ZooKeeper must not act as leader (DESIGN.md invariant 5).
 *
 * <p>{@link Listener#establishLeadership} and {@link Listener#revokeLeadership} bracket each term;
 * later issues start and stop the HA, DRS and DPM loops there.
 */
public final class LeaderElection implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

  /** Called on the election thread at the start and the end of each term. */
  public interface Listener {
    void establishLeadership(long epoch) throws Exception;

    void revokeLeadership();
  }

  /** Who leads, as published at /roam/leader-info. */
  public record LeaderInfo(String id, String address, long epoch) {}

  private final CuratorFramework zk;
  private final ClusterStore store;
  private final LeaderInfo self;
  private final Listener listener;
  private final LeaderSelector selector;
  private volatile long epoch = -1;

  public LeaderElection(CuratorFramework zk, ClusterStore store, String id, String address, Listener listener) {
    this.zk = zk;
    this.store = store;
    this.self = new LeaderInfo(id, address, 0);
    this.listener = listener;
    this.selector = new LeaderSelector(zk, ZkPaths.LEADER, new LeaderSelectorListenerAdapter() {
      @Override
      public void takeLeadership(CuratorFramework client) throws Exception {
        lead();
      }
    });
    selector.setId(id);
    selector.autoRequeue();
  }

  public void start() {
    selector.start();
  }

  private void lead() throws Exception {
    long term = store.nextEpoch();
    try {
      publish(term);
      listener.establishLeadership(term);
      epoch = term;
      LOG.info("master {} is the leader, epoch {}", self.id(), term);
      new CountDownLatch(1).await(); // held until Curator interrupts us: leadership lost or closing
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      epoch = -1;
      listener.revokeLeadership();
      LOG.info("master {} is no longer the leader (epoch {} ended)", self.id(), term);
    }
  }

  private void publish(long term) throws Exception {
    byte[] info = Json.write(new LeaderInfo(self.id(), self.address(), term));
    try {
      zk.delete().forPath(ZkPaths.LEADER_INFO);
    } catch (KeeperException.NoNodeException e) {
      // none yet
    }
    zk.create().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.LEADER_INFO, info);
  }

  /** The epoch of the current term while this master leads. */
  public OptionalLong leaderEpoch() {
    long e = epoch;
    return e < 0 ? OptionalLong.empty() : OptionalLong.of(e);
  }

  /** Who leads now, as far as ZooKeeper knows. */
  public Optional<LeaderInfo> leader() {
    try {
      return Optional.of(Json.read(zk.getData().forPath(ZkPaths.LEADER_INFO), LeaderInfo.class));
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  public String id() {
    return self.id();
  }

  @Override
  public void close() {
    selector.close();
  }
}
