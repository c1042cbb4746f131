package io.roam.master.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.master.check.CheckItem.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The checklist's verdicts from fixtures of what the leader gathered. */
class ClusterCheckTest {
  private static final ClusterCheck.Bounds BOUNDS = new ClusterCheck.Bounds(250, 3_000);

  /** A connected host, heard 400 ms ago, that wrote in /ds and saw {@code seen}, clock 5 ms off. */
  private static HostFacts host(String name, String... seen) {
    return new HostFacts(name, "connected", false, true, OptionalLong.of(400),
        new HostFacts.Probe("", "/ds", "", Set.of(seen), Map.of(), 5, 2), null);
  }

  private static HostFacts withProbe(HostFacts h, HostFacts.Probe p) {
    return new HostFacts(h.name(), h.state(), h.standby(), h.live(), h.heartbeatAgeMs(), p, h.power());
  }

  private static HostFacts withPower(HostFacts h, HostFacts.Power p) {
    return new HostFacts(h.name(), h.state(), h.standby(), h.live(), h.heartbeatAgeMs(), h.probe(), p);
  }

  private static Map<String, CheckItem> items(String check, List<HostFacts> hosts) {
    Map<String, CheckItem> m = new LinkedHashMap<>();
    ClusterCheck.evaluate(hosts, BOUNDS).stream().filter(i -> i.check().equals(check)).forEach(i -> m.put(i.subject(), i));
    return m;
  }

  @Test
  void aHealthyClusterPassesEveryCheckAndSkipsHostsWithoutPowerDriver() {
    List<HostFacts> hosts = List.of(host("h1", "h2", "h3"), host("h2", "h1", "h3"), host("h3", "h1", "h2"));

    List<CheckItem> all = ClusterCheck.evaluate(hosts, BOUNDS);

    assertThat(ClusterCheck.passed(all)).isTrue();
    assertThat(all).filteredOn(i -> !i.check().equals(CheckItem.POWER)).allMatch(i -> i.verdict() == Verdict.PASS);
    assertThat(items(CheckItem.POWER, hosts).values()).allMatch(i -> i.verdict() == Verdict.SKIP);
    assertThat(items(CheckItem.DATASTORE, hosts).get("h1").detail()).isEqualTo("reads and is read by h2, h3 in /ds");
  }

  @Test
  void noHostAtAllFails() {
    List<CheckItem> all = ClusterCheck.evaluate(List.of(), BOUNDS);
    assertThat(ClusterCheck.passed(all)).isFalse();
    assertThat(all.get(0).detail()).contains("no host has registered");
  }

  @Test
  void aHostWithAStaleHeartbeatOrNoSessionFailsAndAStandbyHostIsSkipped() {
    HostFacts stale = new HostFacts("h2", "connected", false, true, OptionalLong.of(3_001), null, null);
    HostFacts dead = new HostFacts("h3", "failed", false, false, OptionalLong.of(60_000), null, null);
    HostFacts parked = new HostFacts("h4", "standby", true, false, OptionalLong.empty(), null, null);
    HostFacts notResponding = new HostFacts("h5", "not-responding", false, true, OptionalLong.of(100), null, null);

    Map<String, CheckItem> m = items(CheckItem.CONNECTED, List.of(host("h1"), stale, dead, parked, notResponding));

    assertThat(m.get("h1").verdict()).isEqualTo(Verdict.PASS);
    assertThat(m.get("h2").verdict()).isEqualTo(Verdict.FAIL);
    assertThat(m.get("h2").detail()).contains("heartbeats stale (bound 3.0 s)").contains("last heartbeat 3.0 s ago");
    assertThat(m.get("h3").verdict()).isEqualTo(Verdict.FAIL);
    assertThat(m.get("h3").detail()).startsWith("failed: no ZooKeeper session");
    assertThat(m.get("h4").verdict()).isEqualTo(Verdict.SKIP);
    assertThat(m.get("h5").verdict()).isEqualTo(Verdict.FAIL);
    assertThat(m.get("h5").detail()).contains("the leader judges it not-responding");
    assertThat(items(CheckItem.DATASTORE, List.of(host("h1"), dead)).get("h3").verdict()).isEqualTo(Verdict.SKIP);
  }

  @Test
  void aHostOnAnotherDatastoreFailsAndIsToldWhichExportTheOthersShare() {
    HostFacts h1 = host("h1", "h2");
    HostFacts h2 = host("h2", "h1");
    HostFacts h3 = withProbe(host("h3"), new HostFacts.Probe("", "/local", "", Set.of(),
        Map.of("h1", "no /local/.roam/check/t/h1 here", "h2", "no /local/.roam/check/t/h2 here"), 0, 1));

    List<CheckItem> all = ClusterCheck.evaluate(List.of(h1, h2, h3), BOUNDS);
    Map<String, CheckItem> m = items(CheckItem.DATASTORE, List.of(h1, h2, h3));

    assertThat(ClusterCheck.passed(all)).isFalse();
    assertThat(m.get("h1").verdict()).isEqualTo(Verdict.PASS);
    assertThat(m.get("h1").detail()).isEqualTo("shares /ds with h2 (the others fail)");
    assertThat(m.get("h3").verdict()).isEqualTo(Verdict.FAIL);
    assertThat(m.get("h3").detail()).startsWith("does not see the files of h1, h2 (no /local/.roam/check/t/h1 here)")
        .contains("its file is not seen by h1, h2")
        .endsWith("it does not share the datastore of h1, h2: mount the same export at /ds (this host uses /local)");
  }

  @Test
  void twoHostsThatDoNotShareBothFailForNoSideIsTheCluster() {
    Map<String, CheckItem> m = items(CheckItem.DATASTORE, List.of(host("h1"), host("h2")));
    assertThat(m.values()).allMatch(i -> i.verdict() == Verdict.FAIL);
    assertThat(m.get("h1").detail()).contains("do not agree on one datastore");
  }

  @Test
  void aHostThatCannotWriteOrDoesNotAnswerFailsAndTheOthersAreJudgedWithoutIt() {
    HostFacts readOnly = withProbe(host("h2"), new HostFacts.Probe("", "/ds", "cannot write /ds/.roam/check/t/h2:"
        + " AccessDeniedException", Set.of(), Map.of(), 0, 1));
    HostFacts silent = withProbe(host("h3"), HostFacts.Probe.failed("DEADLINE_EXCEEDED"));

    Map<String, CheckItem> m = items(CheckItem.DATASTORE, List.of(host("h1"), readOnly, silent));

    assertThat(m.get("h1").verdict()).isEqualTo(Verdict.PASS);
    assertThat(m.get("h1").detail()).contains("no other host to share with");
    assertThat(m.get("h2").verdict()).isEqualTo(Verdict.FAIL);
    assertThat(m.get("h2").detail()).contains("AccessDeniedException").contains("writable by the agent's user");
    assertThat(m.get("h3").verdict()).isEqualTo(Verdict.FAIL);
    assertThat(m.get("h3").detail()).isEqualTo("did not answer the probe: DEADLINE_EXCEEDED");
    assertThat(items(CheckItem.CLOCK, List.of(silent)).get("h3").verdict()).isEqualTo(Verdict.SKIP);
  }

  @Test
  void aClockBeyondTheBoundFailsButOnlyByWhatTheRoundTripCannotExplain() {
    HostFacts ahead = withProbe(host("h1"), new HostFacts.Probe("", "/ds", "", Set.of(), Map.of(), 2_300, 4));
    HostFacts behind = withProbe(host("h2"), new HostFacts.Probe("", "/ds", "", Set.of(), Map.of(), -260, 40));
    HostFacts justOver = withProbe(host("h3"), new HostFacts.Probe("", "/ds", "", Set.of(), Map.of(), -260, 10));

    Map<String, CheckItem> m = items(CheckItem.CLOCK, List.of(ahead, behind, justOver));

    assertThat(m.get("h1").verdict()).isEqualTo(Verdict.FAIL);
    assertThat(m.get("h1").detail()).startsWith("2300 ms ahead of the leader master's (round trip 4 ms, bound 250 ms)")
        .contains("chrony");
    assertThat(m.get("h2").verdict()).as("260 ms +- 20 ms may be within 250 ms").isEqualTo(Verdict.PASS);
    assertThat(m.get("h3").verdict()).as("260 ms +- 5 ms is not").isEqualTo(Verdict.FAIL);
  }

  @Test
  void powerDriversMustAnswerAndAgreeWithTheHost() {
    List<HostFacts> hosts = new ArrayList<>();
    hosts.add(withPower(host("h1"), new HostFacts.Power("ipmi admin@10.0.0.9", "ON", "")));
    hosts.add(withPower(host("h2"), new HostFacts.Power("ipmi admin@10.0.0.10", "", "ipmitool: Unable to establish"
        + " IPMI v2 / RMCP+ session")));
    hosts.add(withPower(host("h3"), new HostFacts.Power("ipmi admin@10.0.0.11", "OFF", "")));
    hosts.add(withPower(new HostFacts("h4", "standby", true, false, OptionalLong.empty(), null, null),
        new HostFacts.Power("wol 52:54:00:ab:cd:ef", "OFF", "")));
    hosts.add(withPower(host("h5"), new HostFacts.Power("process run/h5.pid", "UNKNOWN", "")));

    Map<String, CheckItem> m = items(CheckItem.POWER, hosts);

    assertThat(m.get("h1").verdict()).isEqualTo(Verdict.PASS);
    assertThat(m.get("h1").detail()).isEqualTo("ipmi admin@10.0.0.9 says on");
    assertThat(m.get("h2").verdict()).isEqualTo(Verdict.FAIL);
    assertThat(m.get("h2").detail()).startsWith("ipmi admin@10.0.0.10 did not answer: ipmitool: Unable");
    assertThat(m.get("h3").verdict()).isEqualTo(Verdict.FAIL);
    assertThat(m.get("h3").detail()).contains("says off while the host's agent is connected");
    assertThat(m.get("h4").verdict()).isEqualTo(Verdict.PASS);
    assertThat(m.get("h5").verdict()).isEqualTo(Verdict.FAIL);
  }

  @Test
  void sharingGroupsNeedBothDirections() {
    Map<String, HostFacts> wrote = new LinkedHashMap<>();
    wrote.put("a", host("a", "b", "c"));
    wrote.put("b", host("b", "a"));
    wrote.put("c", host("c")); // a sees c's file, c does not see a's: not shared
    assertThat(ClusterCheck.sharingGroups(wrote)).containsExactly(Set.of("a", "b"), Set.of("c"));
  }
}
