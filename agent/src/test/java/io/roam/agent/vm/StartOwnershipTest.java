package io.roam.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.roam.agent.fencing.EpochGuard;
import io.roam.agent.migration.InMemoryOwnership;
import io.roam.agent.rpc.AgentGrpcService;
import io.roam.common.model.VmSpec;
import io.roam.proto.AgentVmRequest;
import io.roam.proto.VmInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, window 1 (agent half): an agent starts a VM only when the owner record, read right
 * before the launch, names this host at exactly the epoch the request carries. Evidence: no VM
 * process exists on the machine for the VM's memory file, and the agent's view shows none.
 */
class StartOwnershipTest {
  private static final long MIB = 1 << 20;
  @TempDir Path dir;
  private final InMemoryOwnership ownership = new InMemoryOwnership();
  private VmManager manager;

  @BeforeEach
  void setUp() throws Exception {
    manager = new VmManager(new VmManager.Settings("here", dir.resolve("mem"), dir.resolve("run"), dir.resolve("logs"),
        256 * MIB, 3000), new VmLauncher(32 * MIB, "127.0.0.1"), new RecordingEndpoints(), ownership);
    manager.create(new VmSpec("moved", "idle", 16 * MIB, Map.of(), ""), 1).join();
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  @Test
  void aStartIsRefusedUnlessTheOwnerRecordNamesThisHostAtTheGivenEpoch() {
    // No record at all, then another host (the VM migrated away), then this host at a newer epoch.
    assertRefusedWithoutAProcess(1, "it has no owner record");
    ownership.put("moved", "elsewhere", 2);
    assertRefusedWithoutAProcess(1, "its owner record names host elsewhere at epoch 2");
    assertRefusedWithoutAProcess(2, "its owner record names host elsewhere at epoch 2");
    ownership.put("moved", "here", 3);
    assertRefusedWithoutAProcess(2, "its owner record names host here at epoch 3");
    assertRefusedWithoutAProcess(0, "the request carries no owner epoch");

    // The record names this host at the epoch given: now it runs, and the test sees its process.
    VmView v = manager.start("moved", 3).join();
    assertThat(v.state()).isEqualTo(VmState.RUNNING);
    assertThat(v.ownerEpoch()).isEqualTo(3);
    assertThat(vmProcesses("moved")).isEqualTo(1);
  }

  /**
   * In an ensemble the agent reads from its own ZooKeeper server, which may not yet have the
   * compare-and-set that made this host the owner (HA's, or a migration source's before COMMIT):
   * the start is decided on the latest record, not refused on the stale one.
   */
  @Test
  void aStartIsNotRefusedOnARecordThatTheAgentsServerHasNotCaughtUpWith() {
    ownership.put("moved", "elsewhere", 2);
    ownership.fallBehind();
    ownership.put("moved", "here", 3); // committed by the ensemble, not yet on this agent's server
    VmView v = manager.start("moved", 3).join();
    assertThat(v.state()).isEqualTo(VmState.RUNNING);
    assertThat(vmProcesses("moved")).isEqualTo(1);
  }

  @Test
  void overGrpcTheRefusalIsFailedPreconditionWithOneLine() throws Exception {
    ownership.put("moved", "elsewhere", 2);
    AgentGrpcService service = new AgentGrpcService(manager, new EpochGuard(dir.resolve("epoch"), () -> Long.MAX_VALUE), "here", null,
        () -> {}, "nothing");
    CompletableFuture<VmInfo> reply = new CompletableFuture<>();
    service.startVm(AgentVmRequest.newBuilder().setMasterEpoch(1).setName("moved").setOwnerEpoch(1).build(),
        new StreamObserver<>() {
          @Override
          public void onNext(VmInfo value) {
            reply.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            reply.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    assertThatThrownBy(() -> reply.get(30, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.getStatus().getDescription()).isEqualTo(
              "host here will not start VM moved at owner epoch 1: its owner record names host elsewhere at epoch 2")
              .doesNotContain("\n");
        });
    assertNothingLaunched();
  }

  @Test
  void aFirstLeaseEndsWhereTheHostCanVouchForItNotALeaseFromNow() throws Exception {
    // The agent's session guard anchors deadlines at its last ZooKeeper contact; a start that runs
    // long after that contact must not hand out a lease past it (LeaseRule counts from the contact).
    long anchored = io.roam.common.time.Monotonic.millis() + 1_234_567;
    manager.vouchLeasesWith(() -> anchored);
    ownership.put("moved", "here", 3);
    manager.start("moved", 3).join();
    try (io.roam.agent.memory.GuestMemory m = io.roam.agent.memory.GuestMemory.open(dir.resolve("mem/moved.mem"))) {
      assertThat(m.header().leaseDeadline()).isEqualTo(anchored);
    }
  }

  @Test
  void aStartIsRefusedWhenTheHostCannotVouchForALease() {
    manager.vouchLeasesWith(() -> Long.MIN_VALUE); // what the session guard says while disconnected or fencing
    ownership.put("moved", "here", 3);
    assertThatThrownBy(() -> manager.start("moved", 3).join()).cause()
        .isInstanceOfSatisfying(VmOperationException.class, e -> {
          assertThat(e.kind()).isEqualTo(VmOperationException.Kind.BAD_STATE);
          assertThat(e.getMessage()).isEqualTo("host here will not start VM moved: it has had no ZooKeeper contact"
              + " within a lease, so it cannot give the VM one; try again when it is connected");
        });
    assertNothingLaunched();
  }

  private void assertRefusedWithoutAProcess(long epoch, String why) {
    assertThatThrownBy(() -> manager.start("moved", epoch).join()).cause()
        .isInstanceOfSatisfying(VmOperationException.class, e -> {
          assertThat(e.kind()).isEqualTo(VmOperationException.Kind.NOT_OWNER);
          assertThat(e.getMessage()).startsWith("host here will not start VM moved").endsWith(why);
        });
    assertNothingLaunched();
  }

  private void assertNothingLaunched() {
    VmView v = manager.describe("moved");
    assertThat(v.state()).isEqualTo(VmState.CREATED);
    assertThat(v.pid()).isZero();
    assertThat(Files.exists(dir.resolve("run/moved.pid"))).isFalse();
    assertThat(vmProcesses("moved")).isZero();
  }

  /**
   * VM processes on this machine whose command line names this VM's memory file (read from
   * /proc: ProcessHandle.Info cuts long command lines).
   */
  private long vmProcesses(String vm) {
    String memoryFile = dir.resolve("mem").resolve(vm + ".mem").toString();
    return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive).filter(p -> {
      try {
        return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
            java.nio.charset.StandardCharsets.UTF_8).contains(memoryFile);
      } catch (java.io.IOException e) {
        return false; // gone meanwhile, or not ours to read
      }
    }).count();
  }
}
