package io.roam.master.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.roam.master.inventory.ZkFixture;
import io.roam.master.power.PowerDriverCatalog;
import io.roam.proto.HostInfo;
import io.roam.proto.PowerDriverRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack of issue 10 "code execution on the leader": SetPowerDriver used to accept a process
 * driver with any command line and pid file from any caller. Now drivers are defined only in the
 * masters' configuration and the API selects one by name; any other request is refused and
 * changes nothing. Real ZooKeeper and leader election.
 */
class PowerDriverApiTest {
  @TempDir Path dir;
  private ZkFixture f;
  private LeaderApi leader;
  private ClusterGrpcService api;

  @BeforeEach
  void setUp() throws Exception {
    f = new ZkFixture(dir);
    f.host("h1", 4, 1L << 30, null, true);
    Path drivers = dir.resolve("power-drivers.yaml");
    Files.writeString(drivers, "h1-agent: {driver: process, command: [/bin/sleep, '600'], pid-file: "
        + dir.resolve("h1.pid") + "}\n");
    leader = new LeaderApi(f, dir, new PowerDriverCatalog(drivers));
    api = leader.api;
  }

  @AfterEach
  void tearDown() throws Exception {
    leader.close();
    f.close();
  }

  @Test
  void aRequestThatDefinesAProcessDriverIsRefusedAndChangesNothing() throws Exception {
    Path pwned = dir.resolve("pwned");
    List<String> eventsBefore = f.eventKinds();
    Outcome o = call(PowerDriverRequest.newBuilder().setHost("h1").setDriver("process")
        .addAllCommand(List.of("/bin/sh", "-c", "touch " + pwned)).setPidFile(dir.resolve("evil.pid").toString())
        .build());
    assertThat(o.status()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(o.message()).contains("power.drivers").doesNotContain("\n");
    assertThat(f.store.powerDriver("h1")).isEmpty();
    assertThat(f.eventKinds()).isEqualTo(eventsBefore);

    // Even naming a configured driver does not let a request smuggle its own command in.
    o = call(PowerDriverRequest.newBuilder().setHost("h1").setName("h1-agent").addCommand("/bin/sh").build());
    assertThat(o.status()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(f.store.powerDriver("h1")).isEmpty();
    assertThat(pwned).doesNotExist();
  }

  @Test
  void onlyADriverTheConfigurationDefinesCanBeSelected() throws Exception {
    Outcome o = call(PowerDriverRequest.newBuilder().setHost("h1").setName("no-such-driver").build());
    assertThat(o.status()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(o.message()).contains("no-such-driver");
    assertThat(f.store.powerDriver("h1")).isEmpty();

    o = call(PowerDriverRequest.newBuilder().setHost("h1").setName("h1-agent").build());
    assertThat(o.status()).as(o.message()).isEqualTo(Status.Code.OK);
    assertThat(o.host().getPowerDriver()).startsWith("h1-agent (process ");
    assertThat(f.store.powerDriver("h1")).contains("h1-agent");

    o = call(PowerDriverRequest.newBuilder().setHost("h1").build()); // no name: removes it
    assertThat(o.status()).isEqualTo(Status.Code.OK);
    assertThat(f.store.powerDriver("h1")).isEmpty();
  }

  private record Outcome(Status.Code status, String message, HostInfo host) {}

  private Outcome call(PowerDriverRequest req) throws Exception {
    CompletableFuture<Outcome> done = new CompletableFuture<>();
    AtomicReference<HostInfo> got = new AtomicReference<>();
    api.setPowerDriver(req, new StreamObserver<>() {
      @Override
      public void onNext(HostInfo value) {
        got.set(value);
      }

      @Override
      public void onError(Throwable t) {
        Status s = Status.fromThrowable(t);
        done.complete(new Outcome(s.getCode(), s.getDescription(), null));
      }

      @Override
      public void onCompleted() {
        done.complete(new Outcome(Status.Code.OK, "", got.get()));
      }
    });
    return done.get(30, TimeUnit.SECONDS);
  }
}
