package io.roam.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.roam.common.Sizes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
  @TempDir Path dir;

  @Test
  void flagsBeatEnvironmentWhichBeatsTheFileWhichBeatsDefaults() throws Exception {
    Path yaml = dir.resolve("roam.yaml");
    Files.writeString(yaml, """
        zk:
          connect: zk1:2181,zk2:2181
          session-timeout-ms: 9000
        agent:
          port: 7801
          memory: 2GiB
          name: from-file
        """);
    Config c = Config.load(RoamKeys.AGENT, new String[] {"--config", yaml.toString(), "--port", "7901"},
        Map.of("ROAM_AGENT_PORT", "7851", "ROAM_AGENT_NAME", "from-env"), null);
    assertThat(c.get(RoamKeys.AGENT_PORT)).isEqualTo(7901);
    assertThat(c.source(RoamKeys.AGENT_PORT)).isEqualTo("--port");
    assertThat(c.get(RoamKeys.AGENT_NAME)).isEqualTo("from-env");
    assertThat(c.get(RoamKeys.AGENT_MEMORY)).isEqualTo(2 * Sizes.GIB);
    assertThat(c.get(RoamKeys.ZK)).isEqualTo("zk1:2181,zk2:2181");
    assertThat(c.get(RoamKeys.ZK_SESSION_TIMEOUT_MS)).isEqualTo(9000);
    assertThat(c.get(RoamKeys.AGENT_LEASE_MS)).isEqualTo(1500L);
    assertThat(c.source(RoamKeys.AGENT_LEASE_MS)).isEqualTo("default");
  }

  @Test
  void badValuesAreRejectedWithTheKeyAndWhatIsAllowed() throws Exception {
    assertThatThrownBy(() -> Config.load(RoamKeys.AGENT, new String[] {"--port", "99999"}, Map.of(), null))
        .isInstanceOf(ConfigException.class).hasMessage("invalid value '99999' for agent.port: expected an integer from 0 to 65535");
    assertThatThrownBy(() -> Config.load(RoamKeys.AGENT, new String[] {}, Map.of("ROAM_AGENT_MEMORY", "lots"), null))
        .hasMessageContaining("invalid value 'lots' for agent.memory: expected a size");
    assertThatThrownBy(() -> Config.load(RoamKeys.AGENT, new String[] {"--bogus", "1"}, Map.of(), null))
        .hasMessage("unknown option --bogus (see --help)");
    assertThatThrownBy(() -> Config.load(RoamKeys.AGENT, new String[] {"--port"}, Map.of(), null))
        .hasMessage("option --port needs a value");
    Path yaml = dir.resolve("typo.yaml");
    Files.writeString(yaml, "agent:\n  prot: 1\n");
    assertThatThrownBy(() -> Config.load(RoamKeys.AGENT, new String[] {"--config", yaml.toString()}, Map.of(), null))
        .hasMessageContaining("unknown key(s) in " + yaml + ": agent.prot");
    assertThatThrownBy(() -> Config.load(RoamKeys.AGENT, new String[] {"--config", dir.resolve("none.yaml").toString()},
        Map.of(), null)).hasMessageContaining("does not exist");
  }

  @Test
  void sizesParseBinaryUnitsAndRefuseNonsense() {
    assertThat(Sizes.parse("256MiB")).isEqualTo(256 * Sizes.MIB);
    assertThat(Sizes.parse("1g")).isEqualTo(Sizes.GIB);
    assertThat(Sizes.parse("4096")).isEqualTo(4096);
    assertThat(Sizes.format(1536 * Sizes.MIB)).isEqualTo("1.5 GiB");
    assertThatThrownBy(() -> Sizes.parse("-1")).hasMessageContaining("is not a size");
    assertThatThrownBy(() -> Sizes.parse("99999999999999TiB")).hasMessageContaining("too large");
  }
}
