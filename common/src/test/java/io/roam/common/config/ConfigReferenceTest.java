package io.roam.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is what {@link ConfigReference} renders from the keys the daemons accept. */
class ConfigReferenceTest {

  @Test
  void theCheckedInReferenceIsTheRenderingOfEveryKey() throws Exception {
    Path file = Path.of(System.getProperty("roam.checkout")).resolve("docs/configuration.md");
    assertThat(file).exists();
    assertThat(Files.readString(file)).as("docs/configuration.md is stale: run ./roam docs")
        .isEqualTo(ConfigReference.render());
  }

  @Test
  void everyKeyHasARowAndMachineDependentDefaultsAreDescribed() {
    String doc = ConfigReference.render();
    for (ConfigKey<?> k : RoamKeys.ALL) {
      assertThat(doc).contains("| `" + k.name() + "` | `--" + k.flag() + "` | `" + k.envName() + "` |");
    }
    // Generated on any machine, it must not carry this machine's host name, cores or memory.
    assertThat(ConfigReference.defaultText(RoamKeys.AGENT_CORES)).doesNotContain(
        String.valueOf(Runtime.getRuntime().availableProcessors()));
    assertThat(ConfigReference.defaultText(RoamKeys.TLS_CA)).isEqualTo("none (required)");
    assertThat(ConfigReference.defaultText(RoamKeys.AGENT_PORT)).isEqualTo("`7701`");
  }
}
