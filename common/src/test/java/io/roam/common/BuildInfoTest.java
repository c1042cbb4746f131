package io.roam.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** BuildInfo reads the jar manifest; classes from a directory (as here) say so instead of guessing. */
class BuildInfoTest {
  @Test
  void classesNotFromAJarHaveNoVersion() {
    assertThat(BuildInfo.version(BuildInfoTest.class)).isEqualTo(BuildInfo.UNKNOWN);
  }

  @Test
  void theVersionLineNamesTheCommandAndTheJava() {
    assertThat(BuildInfo.versionLine("roam-agent", BuildInfoTest.class))
        .startsWith("roam-agent " + BuildInfo.UNKNOWN + " (Java " + Runtime.version().feature());
  }
}
