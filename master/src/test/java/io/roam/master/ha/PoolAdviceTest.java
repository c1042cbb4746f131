package io.roam.master.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostMode;
import io.roam.master.drs.model.HostView;
import io.roam.master.drs.model.VmView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolAdviceTest {
  private static final long GIB = 1L << 30;
  private static final long VM_MEMORY = 16L << 20;

  private static HostView host(String name) {
    return new HostView(name, 4, 8 * GIB, HostMode.CONNECTED);
  }

  private static List<VmView> idleVms(String prefix, String host, int n) {
    List<VmView> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new VmView(prefix + i, host, 0.01, VM_MEMORY, 0, -1));
    }
    return out;
  }

  private static ClusterSnapshot snapshot(List<HostView> hosts, List<VmView> vms) {
    return new ClusterSnapshot(0, hosts, vms, List.of(), List.of());
  }

  @Test
  void twentyVmsOnOneOfThreeHostsAreHalfOnEachOtherIfItFails() {
    Map<String, Integer> advice = PoolAdvice.compute(snapshot(List.of(host("h1"), host("h2"), host("h3")),
        idleVms("kv", "h1", 20)));
    assertThat(advice).containsExactlyInAnyOrderEntriesOf(Map.of("h1", 0, "h2", 10, "h3", 10));
  }

  @Test
  void eachHostIsAdvisedTheMostItWouldTakeOverAnyOneFailure() {
    // h1 failing: its 6 VMs fill the empty h3 up to h2's load first (2), then alternate (2 + 2):
    // h3 takes 4, h2 takes 2. h2 failing: both its VMs go to the empty h3. h3 holds nothing.
    List<VmView> vms = new ArrayList<>(idleVms("a", "h1", 6));
    vms.addAll(idleVms("b", "h2", 2));
    Map<String, Integer> advice = PoolAdvice.compute(snapshot(List.of(host("h1"), host("h2"), host("h3")), vms));
    assertThat(advice).containsExactlyInAnyOrderEntriesOf(Map.of("h1", 0, "h2", 2, "h3", 4));
  }

  @Test
  void aHostThatTakesNoVmsIsAdvisedNoneAndTheOthersTakeItsShare() {
    Map<String, Integer> advice = PoolAdvice.compute(snapshot(
        List.of(host("h1"), host("h2"), host("h3").withMode(HostMode.MAINTENANCE)), idleVms("kv", "h1", 5)));
    assertThat(advice).containsExactlyInAnyOrderEntriesOf(Map.of("h1", 0, "h2", 5, "h3", 0));
  }

  @Test
  void vmsThatFitNowhereCountNowhere() {
    List<HostView> hosts = List.of(host("h1"), new HostView("small", 4, 3 * VM_MEMORY, HostMode.CONNECTED));
    Map<String, Integer> advice = PoolAdvice.compute(snapshot(hosts, idleVms("kv", "h1", 8)));
    assertThat(advice).containsExactlyInAnyOrderEntriesOf(Map.of("h1", 0, "small", 3));
  }

  @Test
  void aClusterOfOneHostNeedsNoPoolForFailures() {
    assertThat(PoolAdvice.compute(snapshot(List.of(host("h1")), idleVms("kv", "h1", 3))))
        .containsExactlyInAnyOrderEntriesOf(Map.of("h1", 0));
  }

  @Test
  void theHolderAnswersZeroForAHostItHasNoAdviceFor() {
    PoolAdvice holder = new PoolAdvice();
    assertThat(holder.forHost("h2")).isZero();
    holder.update(Map.of("h2", 7));
    assertThat(holder.forHost("h2")).isEqualTo(7);
    assertThat(holder.forHost("h9")).isZero();
  }
}
