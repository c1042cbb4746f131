package io.roam.master.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.model.OwnerRecord;
import io.roam.master.zk.EmbeddedZooKeeper;
import io.roam.master.zk.TestPki;
import io.roam.proto.FenceOwnerRecordRequest;
import io.roam.proto.FenceOwnerRecordResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fence a master writes for a migration's destination: a version bump that never moves ownership. */
class OwnershipGrpcServiceTest {
  @TempDir Path dir;
  private EmbeddedZooKeeper server;
  private CuratorFramework zk;
  private OwnershipGrpcService service;
  private final byte[] record = Json.write(new OwnerRecord("host1", 4, "tag"));

  @BeforeEach
  void start() throws Exception {
    server = TestPki.get().server(dir.resolve("zk"));
    zk = TestPki.get().client("127.0.0.1:" + server.port(), new RetryOneTime(100));
    zk.start();
    assertThat(zk.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
    zk.create().creatingParentsIfNeeded().forPath(ZkPaths.vm("vm1"), new byte[0]);
    zk.create().forPath(ZkPaths.vmOwner("vm1"), record);
    zk.setData().forPath(ZkPaths.vmOwner("vm1"), record); // version 1
    service = new OwnershipGrpcService(zk);
  }

  @AfterEach
  void stop() {
    zk.close();
    server.close();
  }

  @Test
  void fencingAtTheRecordsVersionMovesTheVersionOnAndLeavesWhatItSaysAlone() throws Exception {
    FenceOwnerRecordResponse r = fence("vm1", 1);
    assertThat(r.getFenced()).isTrue();
    Stat stat = new Stat();
    assertThat(zk.getData().storingStatIn(stat).forPath(ZkPaths.vmOwner("vm1"))).isEqualTo(record);
    assertThat(stat.getVersion()).isEqualTo(2).isEqualTo(r.getVersion());
  }

  @Test
  void aRecordThatMovedOnOrIsGoneIsNotTouched() throws Exception {
    FenceOwnerRecordResponse r = fence("vm1", 0);
    assertThat(r.getFenced()).isFalse();
    assertThat(r.getVersion()).isEqualTo(1);
    assertThat(zk.checkExists().forPath(ZkPaths.vmOwner("vm1")).getVersion()).isEqualTo(1);
    assertThat(fence("vm2", 0).getFenced()).isFalse();
  }

  @Test
  void aBadVmNameIsInvalidArgument() {
    assertThat(call("../vm1", 1).handle((r, e) -> e).join())
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  private FenceOwnerRecordResponse fence(String vm, int version) {
    return call(vm, version).join();
  }

  private CompletableFuture<FenceOwnerRecordResponse> call(String vm, int version) {
    CompletableFuture<FenceOwnerRecordResponse> f = new CompletableFuture<>();
    service.fenceOwnerRecord(FenceOwnerRecordRequest.newBuilder().setVm(vm).setVersion(version)
        .setDestinationHost("host2").build(), new StreamObserver<>() {
          @Override
          public void onNext(FenceOwnerRecordResponse v) {
            f.complete(v);
          }

          @Override
          public void onError(Throwable t) {
            f.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    return f;
  }
}
