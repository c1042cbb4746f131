package io.roam.master.api;

import io.grpc.stub.StreamObserver;
import io.roam.common.ZkPaths;
import io.roam.proto.FenceOwnerRecordRequest;
import io.roam.proto.FenceOwnerRecordResponse;
import io.roam.proto.OwnershipServiceGrpc;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes owner records on behalf of agents where ZooKeeper's ACLs let only the VM's owner write
 * (common/zk ZkAcls): today the fence a migration's destination needs when it lost its source after
 * the memory verified (DESIGN.md "Ambiguous compare-and-set"). The record is rewritten byte for byte,
 * by compare-and-set on the version the migration started from, so it cannot move ownership; it
 * only makes a compare-and-set still in flight from that version fail. Any master serves it: the
 * write needs no leader's decision, and the destination must not wait for an election.
 * Thread-safe (stateless; Curator is thread-safe).
 */
public final class OwnershipGrpcService extends OwnershipServiceGrpc.OwnershipServiceImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(OwnershipGrpcService.class);
  private final CuratorFramework zk;

  public OwnershipGrpcService(CuratorFramework zk) {
    this.zk = zk;
  }

  @Override
  public void fenceOwnerRecord(FenceOwnerRecordRequest req, StreamObserver<FenceOwnerRecordResponse> out) {
    try {
      out.onNext(fence(req.getVm(), req.getVersion(), req.getDestinationHost()));
      out.onCompleted();
    } catch (Exception e) {
      out.onError(MasterStatuses.toStatus(e));
    }
  }

  private FenceOwnerRecordResponse fence(String vm, int version, String destination) throws Exception {
    String path = ZkPaths.vmOwner(vm); // validates the name
    Stat stat = new Stat();
    byte[] record;
    try {
      record = zk.getData().storingStatIn(stat).forPath(path);
    } catch (KeeperException.NoNodeException e) {
      return FenceOwnerRecordResponse.newBuilder().setFenced(false).setVersion(-1).build();
    }
    if (stat.getVersion() != version) {
      return FenceOwnerRecordResponse.newBuilder().setFenced(false).setVersion(stat.getVersion()).build();
    }
    try {
      Stat after = zk.setData().withVersion(version).forPath(path, record);
      LOG.warn("VM {}: owner record fenced at version {} for migration destination {}", vm, version, destination);
      return FenceOwnerRecordResponse.newBuilder().setFenced(true).setVersion(after.getVersion()).build();
    } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
      // Moved on between the read and the write (the source's compare-and-set, or HA): nothing to fence.
      return FenceOwnerRecordResponse.newBuilder().setFenced(false).setVersion(-1).build();
    }
  }
}
