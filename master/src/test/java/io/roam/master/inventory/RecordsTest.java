package io.roam.master.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.Json;
import io.roam.common.model.VmPolicy;
import io.roam.common.model.VmRecord;
import io.roam.common.model.VmSpec;
import io.roam.master.drs.model.HostMode;
import io.roam.master.drs.model.Rule;
import io.roam.master.power.PowerDrivers;
import io.roam.master.power.PowerSpec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What operators store: rules, policies, power specs and overrides are checked and read back. */
class RecordsTest {
  @Test
  void rulesAreCheckedAndBecomePlannerRules() {
    assertThat(new RuleRecord("ok", "anti-affinity", List.of("a", "b"), List.of(), true).check()).isNull();
    assertThat(new RuleRecord("one", "affinity", List.of("a"), List.of(), true).check()).contains("at least two");
    assertThat(new RuleRecord("h", "vm-host", List.of("a"), List.of(), true).check()).contains("one host");
    assertThat(new RuleRecord("x", "colocate", List.of("a", "b"), List.of(), true).check()).contains("unknown rule type");
    assertThat(new RuleRecord("bad name", "affinity", List.of("a", "b"), List.of(), true).check()).contains("invalid");
    Rule r = new RuleRecord("n", "vm-not-host", List.of("a"), List.of("h1"), false).toRule();
    assertThat(r).isInstanceOfSatisfying(Rule.VmHost.class, vh -> {
      assertThat(vh.allows("h1")).isFalse();
      assertThat(vh.allows("h2")).isTrue();
      assertThat(vh.must()).isFalse();
    });
  }

  @Test
  void vmPoliciesDefaultAndAreChecked() {
    assertThat(new VmPolicy(null, null)).isEqualTo(VmPolicy.DEFAULT);
    assertThat(new VmPolicy("HIGH", "Manual").check()).isNull();
    assertThat(new VmPolicy("urgent", "").check()).contains("restart priority");
    assertThat(new VmPolicy("low", "sometimes").check()).contains("DRS automation");
    assertThat(new VmPolicy("high", "").restartRank()).isLessThan(new VmPolicy("low", "").restartRank());
    // A VM record written before policies existed reads with the default policy.
    String old = "{\"spec\":{\"name\":\"v\",\"program\":\"idle\",\"memoryBytes\":16777216,\"args\":{},"
        + "\"programJar\":\"\"},\"desiredState\":\"RUNNING\"}";
    VmRecord rec = Json.read(old.getBytes(StandardCharsets.UTF_8), VmRecord.class);
    assertThat(rec.policy()).isEqualTo(VmPolicy.DEFAULT);
    VmRecord withPolicy = new VmRecord(new VmSpec("v", "idle", 16 << 20, Map.of(), ""), VmRecord.DesiredState.RUNNING,
        new VmPolicy("high", "disabled"));
    assertThat(Json.read(Json.write(withPolicy), VmRecord.class)).isEqualTo(withPolicy);
  }

  @Test
  void hostControlReadsOldRecordsAndKeepsItsFields() {
    HostControl c = Json.read("{\"mode\":\"MAINTENANCE\",\"wakeFailed\":false,\"sinceMs\":5,\"by\":\"operator\"}"
        .getBytes(StandardCharsets.UTF_8), HostControl.class);
    assertThat(c.mode()).isEqualTo(HostMode.MAINTENANCE);
    assertThat(c.dpm()).isEmpty();
    HostControl next = c.withDpm("off").withMode(HostMode.CONNECTED, 9, "operator").withWakeFailed(true);
    assertThat(next).isEqualTo(new HostControl(HostMode.CONNECTED, true, 9, "operator", "off"));
  }

  @Test
  void powerSpecsAreCheckedAndDescribedWithoutSecrets() {
    PowerSpec ipmi = new PowerSpec("ipmi", "10.0.0.9", "admin", "/etc/roam/bmc-pass", "", List.of(), "");
    assertThat(PowerDrivers.check(ipmi)).isNull();
    assertThat(PowerDrivers.describe(ipmi)).isEqualTo("ipmi admin@10.0.0.9").doesNotContain("bmc-pass");
    assertThat(PowerDrivers.check(new PowerSpec("ipmi", "10.0.0.9", "admin", "", "", List.of(), "")))
        .contains("password-file");
    assertThat(PowerDrivers.check(new PowerSpec("wol", "", "", "", "zz:11", List.of(), ""))).isNotNull();
    assertThat(PowerDrivers.check(new PowerSpec("wol", "", "", "", "aa:bb:cc:dd:ee:ff", List.of(), ""))).isNull();
    assertThat(PowerDrivers.check(new PowerSpec("process", "", "", "", "", List.of(), "/x.pid"))).contains("command");
    assertThat(PowerDrivers.check(new PowerSpec("magic", "", "", "", "", List.of(), ""))).contains("unknown power driver");
  }

  @Test
  void overridesMergeFieldByField() {
    SchedulerOverrides a = new SchedulerOverrides(2, "manual", null, null, null);
    SchedulerOverrides b = a.merge(new SchedulerOverrides(null, null, "automatic", 50, null));
    assertThat(b).isEqualTo(new SchedulerOverrides(2, "manual", "automatic", 50, null));
    assertThat(SchedulerOverrides.NONE.merge(SchedulerOverrides.NONE)).isEqualTo(SchedulerOverrides.NONE);
  }
}
