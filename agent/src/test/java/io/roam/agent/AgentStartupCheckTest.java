package io.roam.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent without its TLS files refuses to start: one line, exit code 2, nothing created. */
class AgentStartupCheckTest {
  @TempDir Path dir;

  @Test
  void anAgentWithoutTlsSettingsRefusesToStartWithOneLineAndExitCode2() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), AgentMain.class.getName(), "--name", "host1", "--zk", "127.0.0.1:1",
        "--port", "0", "--data-dir", dir.resolve("data").toString(), "--datastore", dir.resolve("ds").toString())
        .directory(dir.toFile()).start();
    p.getOutputStream().close();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(err.lines().toList()).singleElement().asString()
        .startsWith("roam-agent: tls.ca, tls.cert and tls.key must name");
    assertThat(dir.resolve("data")).as("nothing was started").doesNotExist();
  }
}
