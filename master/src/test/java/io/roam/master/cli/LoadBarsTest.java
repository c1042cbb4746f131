package io.roam.master.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** `roamctl drs status`'s load bars: lengths by load, the mean and the band where they belong. */
class LoadBarsTest {

  @Test
  void barsAreAsLongAsTheLoadAndHostsOutsideTheBandAreFlagged() {
    // Loads 0.8, 0.2, 0.5: mean 0.5; target 0.1 gives the band [0.4, 0.6] on a 0..1 scale of 40 columns.
    List<String> lines = LoadBars.draw(Map.of("host1", 0.8, "host2", 0.2, "host3", 0.5), 0.1);
    assertThat(lines).hasSize(4);
    String h1 = lines.get(1);
    String h2 = lines.get(2);
    String h3 = lines.get(3);
    assertThat(h1).startsWith("host1  ").endsWith("0.80  above the band");
    assertThat(h2).endsWith("0.20  below the band");
    assertThat(h3).endsWith("0.50");
    String bar1 = h1.substring(7, 7 + LoadBars.WIDTH + 1);
    String bar2 = h2.substring(7, 7 + LoadBars.WIDTH + 1);
    // The markers: [ at column 16 (0.4), | at 20 (0.5), ] at 24 (0.6), on every line.
    for (String bar : List.of(bar1, bar2)) {
      assertThat(bar.charAt(16)).isEqualTo('[');
      assertThat(bar.charAt(20)).isEqualTo('|');
      assertThat(bar.charAt(24)).isEqualTo(']');
    }
    // host2 (0.2) fills 8 columns; host1 (0.8) fills 32, the markers inside it drawn over the fill.
    assertThat(bar2.substring(0, 8)).isEqualTo("########");
    assertThat(bar2.charAt(8)).isEqualTo(' ');
    assertThat(bar1.substring(25, 32)).isEqualTo("#######");
    assertThat(bar1.charAt(32)).isEqualTo(' ');
  }

  @Test
  void anOverloadedHostSetsTheScale() {
    List<String> lines = LoadBars.draw(Map.of("a", 2.0, "b", 0.0), 0.5);
    String a = lines.get(1).substring(6, 6 + LoadBars.WIDTH + 1); // names padded to the header's 4
    assertThat(a.replace('|', '#').replace('[', '#').replace(']', '#')).isEqualTo("#".repeat(LoadBars.WIDTH) + " ");
    assertThat(LoadBars.draw(Map.of(), 0.1)).isEmpty();
  }
}
