package io.roam.agent.cluster;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.proto.FenceOwnerRecordRequest;
import io.roam.proto.OwnershipServiceGrpc;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * Asks the leader master to fence an owner record (OwnershipService.FenceOwnerRecord), over mutual
 * TLS with this agent's certificate. Any master could; the leader is the one ZooKeeper names. Rare
 * (a migration's destination that lost its source at the last moment), so each call opens its own
 * channel. Thread-safe.
 */
public final class MasterOwnerFence {
  private static final long DEADLINE_MS = 10_000;
  private final CuratorFramework zk;
  private final ChannelCredentials credentials;
  private final String host;

  public MasterOwnerFence(CuratorFramework zk, ChannelCredentials credentials, String host) {
    this.zk = zk;
    this.credentials = credentials;
    this.host = host;
  }

  /**
   * @return true if the master moved the record's version on, false if it had already moved on
   * @throws Exception when no master can be asked now (the caller retries)
   */
  public boolean fence(String vm, int version) throws Exception {
    String leader;
    try {
      leader = Json.mapper().readTree(zk.getData().forPath(ZkPaths.LEADER_INFO)).path("address").asText("");
    } catch (KeeperException.NoNodeException e) {
      leader = "";
    }
    if (leader.isEmpty()) {
      throw new IllegalStateException("no leader master to fence the owner record of VM " + vm);
    }
    int colon = leader.lastIndexOf(':');
    ManagedChannel channel = NettyChannelBuilder.forAddress(leader.substring(0, colon),
        Integer.parseInt(leader.substring(colon + 1)), credentials).build();
    try {
      return OwnershipServiceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
          .fenceOwnerRecord(FenceOwnerRecordRequest.newBuilder().setVm(vm).setVersion(version)
              .setDestinationHost(host).build())
          .getFenced();
    } finally {
      channel.shutdownNow();
    }
  }
}
