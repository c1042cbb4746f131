package io.roam.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Issue 10, property-based: whatever a configuration file or a flag holds, loading it either works
 * or fails with a {@link ConfigException} of one line; never another exception.
 */
class ConfigFuzzTest {

  @Property(tries = 300)
  void anyFileContentLoadsOrFailsWithOneLine(@ForAll("yamlish") String content) throws Exception {
    Path file = Files.createTempFile("roam-fuzz", ".yaml");
    try {
      Files.writeString(file, content);
      assertLoadsOrOneLineError(new String[] {"--config", file.toString()});
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Property(tries = 300)
  void anyFlagValueLoadsOrFailsWithOneLine(@ForAll("flags") String flag, @ForAll String value) {
    assertLoadsOrOneLineError(new String[] {"--" + flag, value});
  }

  private static void assertLoadsOrOneLineError(String[] args) {
    try {
      Config.load(RoamKeys.AGENT, args, Map.of(), null);
    } catch (ConfigException e) {
      assertThat(e.getMessage()).isNotBlank().doesNotContain("\n").doesNotContain("\r").doesNotContain("\u2028")
          .doesNotContain("\u0085").hasSizeLessThan(ConfigException.MAX_MESSAGE + 20);
    }
  }

  @Provide
  Arbitrary<String> flags() {
    return Arbitraries.of(RoamKeys.AGENT.stream().map(ConfigKey::flag).toList());
  }

  /** Mostly YAML-shaped text built from the real keys, and some plain noise. */
  @Provide
  Arbitrary<String> yamlish() {
    Arbitrary<String> key = Arbitraries.of(RoamKeys.AGENT.stream().map(ConfigKey::name).toList());
    Arbitrary<String> value = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(40),
        Arbitraries.of("", "~", "[]", "{}", "[1, 2]", "{a: b}", "-1", "99999999999999999999", "1GiB", "true", "\"x\ny\"",
            "!!binary aGVsbG8=", "&a x", "*a", "0x10", "1e9", ".inf"));
    Arbitrary<String> line = net.jqwik.api.Combinators.combine(key, value).as((k, v) -> k + ": " + v);
    Arbitrary<String> shaped = line.list().ofMaxSize(6).map(l -> String.join("\n", l));
    return Arbitraries.oneOf(shaped, Arbitraries.strings().ofMaxLength(200),
        Arbitraries.of("a:\n  b: [", "- - -", "key: value\n  bad indent: x", ":", "? ? ?", "a: !!python/object x", "\t"));
  }
}
