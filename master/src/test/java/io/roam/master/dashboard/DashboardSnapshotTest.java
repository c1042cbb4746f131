package io.roam.master.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.proto.DrsStatus;
import io.roam.proto.Event;
import io.roam.proto.HostInfo;
import io.roam.proto.LeaderInfo;
import io.roam.proto.MigrationInfo;
import io.roam.proto.Recommendation;
import io.roam.proto.VmInfo;
import io.roam.proto.VmSpec;
import io.roam.proto.VmState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The dashboard's document from fixture views: what the page shows, without a server or a browser. */
class DashboardSnapshotTest {
  private static final LeaderInfo LEADER = LeaderInfo.newBuilder().setMasterId("m1").setLeaderAddress("10.0.0.1:7700")
      .setEpoch(4).setIsLeader(true).build();

  private static HostInfo host(String name, String state, int cores, double demand) {
    return HostInfo.newBuilder().setName(name).setAddress("10.0.0." + name.charAt(1)).setState(state).setCores(cores)
        .setCpuDemand(demand).setMemoryBytes(8L << 30).setMemoryUsedBytes(2L << 30).setVmCount(1).build();
  }

  private static VmInfo vm(String name, VmState state, String host, String priority) {
    return VmInfo.newBuilder().setSpec(VmSpec.newBuilder().setName(name).setProgram("kv").setMemoryBytes(256L << 20))
        .setState(state).setHost(host).setDesiredState("RUNNING").setRestartPriority(priority).build();
  }

  private static MigrationInfo migration(String id, String status, long startedAt) {
    return MigrationInfo.newBuilder().setId(id).setVm("web").setSource("h1").setDestination("h2").setStatus(status)
        .setStartedAtMs(startedAt).setPercent(40).setBytesTransferred(100).setBytesTotal(250).setRounds(2)
        .setDirtyPagesPerSecond(123.456789).setExpectedDowntimeMs(30).build();
  }

  private static DrsStatus drs() {
    return DrsStatus.newBuilder().setImbalance(0.3).setTargetImbalance(0.1).setThreshold(3).setAutomation("manual")
        .setDpmLevel("off").setUtilizationShort(Double.NaN).setUtilizationLong(0.5)
        .addRecommendations(Recommendation.newBuilder().setId("r1").setVm("web").setFromHost("h1").setToHost("h2")
            .setKind("balance").setReason("h1 is 0.9 loaded"))
        .build();
  }

  private static ClusterView view(List<HostInfo> hosts, List<MigrationInfo> migrations, Optional<DrsStatus> drs,
      List<Event> events) {
    return new ClusterView(5_000, LEADER, hosts, List.of(vm("web", VmState.VM_STATE_RUNNING, "h1", "medium"),
        vm("batch", VmState.VM_STATE_STOPPED, "h2", "disabled")), migrations, events, drs, true, 1,
        List.of(new DashboardHistory.Sample(1_000, 0.2, 0.1, 2)));
  }

  @SuppressWarnings("unchecked")
  private static <T> T at(Object doc, String... path) {
    Object o = doc;
    for (String p : path) {
      o = o instanceof List<?> l ? l.get(Integer.parseInt(p)) : ((Map<String, Object>) o).get(p);
    }
    return (T) o;
  }

  @Test
  void hostLoadIsTheLoadDrsSawAgainstItsMeanPlusMinusTheDrsTarget() {
    // DRS's last pass saw h1 at 0.9 and h2 at 0.1 (its demand window); h3 is in standby, outside it.
    // The hosts' own last-minute demand differs (h1 3.2 of 4 cores): the band is DRS's, not that.
    DrsStatus drs = drs().toBuilder().putHostLoads("h1", 0.9).putHostLoads("h2", 0.1).build();
    Map<String, Object> doc = DashboardSnapshot.build(view(List.of(host("h1", "connected", 4, 3.2),
        host("h2", "connected", 4, 0.4), host("h3", "standby", 4, 0)), List.of(), Optional.of(drs), List.of()));
    // mean of DRS's loads: (0.9 + 0.1) / 2 = 0.5; the band is 0.5 ± 0.1
    assertThat((Double) at(doc, "hosts", "0", "load")).isEqualTo(0.9);
    assertThat((Map<String, Object>) at(doc, "hosts", "0", "target")).containsEntry("low", 0.4)
        .containsEntry("mean", 0.5).containsEntry("high", 0.6);
    assertThat((Boolean) at(doc, "hosts", "0", "balanced")).isFalse();
    assertThat((Object) at(doc, "hosts", "2", "balanced")).as("a standby host is outside the balance").isNull();
    assertThat((Integer) at(doc, "cluster", "poweredOnHosts")).isEqualTo(2);
    assertThat((Long) at(doc, "cluster", "runningVms")).isEqualTo(1);
  }

  @Test
  void withoutALeadersDrsPassThereIsNoBandAndNoRecommendation() {
    Map<String, Object> doc = DashboardSnapshot.build(view(List.of(host("h1", "connected", 4, 1)), List.of(),
        Optional.empty(), List.of()));
    assertThat((Object) at(doc, "hosts", "0", "target")).isNull();
    assertThat((Boolean) at(doc, "drs", "available")).isFalse();
    assertThat((Map<String, Object>) at(doc, "drs")).doesNotContainKey("recommendations");
  }

  @Test
  void migrationsInFlightAreSeparateFromTheNewestFinishedOnes() {
    List<MigrationInfo> ms = new ArrayList<>();
    ms.add(migration("live", "active", 50));
    for (int i = 0; i < 7; i++) {
      ms.add(migration("done" + i, i % 2 == 0 ? "completed" : "failed", i));
    }
    ClusterView v = view(List.of(), ms, Optional.of(drs()), List.of());
    Map<String, Object> doc = DashboardSnapshot.build(v);
    assertThat((List<Object>) at(doc, "migrations", "inFlight")).hasSize(1);
    assertThat((String) at(doc, "migrations", "inFlight", "0", "id")).isEqualTo("live");
    assertThat((Double) at(doc, "migrations", "inFlight", "0", "dirtyPagesPerSecond")).isEqualTo(123.4568);
    assertThat((Long) at(doc, "migrations", "inFlight", "0", "expectedDowntimeMs")).isEqualTo(30);
    assertThat((List<Object>) at(doc, "migrations", "recent")).hasSize(DashboardSnapshot.RECENT_MIGRATIONS);
    assertThat((String) at(doc, "migrations", "recent", "0", "id")).as("newest first").isEqualTo("done6");
    assertThat(DashboardSnapshot.migrationInFlight(v)).isTrue();
    assertThat(DashboardSnapshot.migrationInFlight(view(List.of(), ms.subList(1, 8), Optional.empty(), List.of())))
        .isFalse();
  }

  @Test
  void statesArePlainLowerCaseAndUnknownNumbersAreNullSoTheDocumentIsValidJson() throws Exception {
    Map<String, Object> doc = DashboardSnapshot.build(view(List.of(host("h1", "connected", 4, 1)), List.of(),
        Optional.of(drs()), List.of()));
    assertThat((String) at(doc, "vms", "0", "name")).as("sorted by name").isEqualTo("batch");
    assertThat((String) at(doc, "vms", "0", "state")).isEqualTo("stopped");
    assertThat((String) at(doc, "vms", "1", "desired")).isEqualTo("running");
    assertThat((Object) at(doc, "dpm", "utilizationShort")).isNull();
    String json = new String(io.roam.common.Json.write(doc), StandardCharsets.UTF_8);
    assertThat(json).doesNotContain("NaN");
    // a strict parser accepts it
    new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
    assertThat((String) at(doc, "drs", "recommendations", "0", "id")).isEqualTo("r1");
  }

  @Test
  void haShowsHostsInTroubleProtectedVmsAndItsOwnEventsNewestFirst() {
    List<Event> events = List.of(
        Event.newBuilder().setSeq(1).setKind("vm.created").setVm("web").build(),
        Event.newBuilder().setSeq(2).setKind("vm.restarted").setVm("web").setHost("h2").build(),
        Event.newBuilder().setSeq(3).setKind("host.fenced").setHost("h1").build());
    Map<String, Object> doc = DashboardSnapshot.build(view(List.of(host("h1", "failed", 4, 0),
        host("h2", "connected", 4, 1), host("h3", "isolated", 4, 0)), List.of(), Optional.of(drs()), events));
    assertThat((List<Object>) at(doc, "ha", "troubledHosts")).hasSize(2);
    assertThat((Long) at(doc, "ha", "protectedVms")).isEqualTo(1);
    assertThat((String) at(doc, "ha", "recent", "0", "kind")).isEqualTo("host.fenced");
    assertThat((List<Object>) at(doc, "ha", "recent")).hasSize(2);
    assertThat((Long) at(doc, "events", "0", "seq")).isEqualTo(3);
    assertThat((List<Object>) at(doc, "events")).hasSize(3);
  }

  @Test
  void aSampleCountsPoweredOnHostsAndTheDrsFigures() {
    DashboardHistory.Sample s = DashboardSnapshot.sample(view(List.of(host("h1", "connected", 4, 1),
        host("h2", "standby", 4, 0), host("h3", "maintenance", 4, 0)), List.of(), Optional.of(drs()), List.of()));
    assertThat(s).isEqualTo(new DashboardHistory.Sample(5_000, 0.3, 0.1, 2));
    assertThat(Double.isNaN(DashboardSnapshot.sample(view(List.of(), List.of(), Optional.empty(), List.of()))
        .imbalance())).isTrue();
  }

  @Test
  void theHistoryKeepsAnHour() {
    DashboardHistory h = new DashboardHistory();
    for (int i = 0; i < 500; i++) {
      h.add(new DashboardHistory.Sample(i * 10_000L, 0, 0, 1));
    }
    assertThat(h.samples()).hasSize(DashboardHistory.CAPACITY);
    h.add(new DashboardHistory.Sample(100_000_000L, 0, 0, 1));
    assertThat(h.samples()).as("a gap longer than the window drops the old ones").hasSize(1);
  }
}
