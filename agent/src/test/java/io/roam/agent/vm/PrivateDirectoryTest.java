package io.roam.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.roam.agent.memory.GuestMemory;
import io.roam.common.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, "any user of the host reads every VM's memory": the memory and socket directories are
 * the agent user's alone (0700), guest memory files are 0600, and an agent refuses to start, with
 * one line and exit code 2, on a directory another user owns or may enter.
 */
class PrivateDirectoryTest {
  @TempDir Path dir;

  @Test
  void aMissingDirectoryIsCreatedForTheAgentsUserAlone() throws Exception {
    Path d = PrivateDirectory.ensure(dir.resolve("shm/roam/host1"), "memory directory");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d))).isEqualTo("rwx------");
    assertThat(Files.getOwner(d)).isEqualTo(PrivateDirectory.currentUser());
    PrivateDirectory.ensure(d, "memory directory"); // and it passes the check next time
  }

  @Test
  void aDirectoryOthersMayEnterOrAnotherUserOwnsIsRefused() throws Exception {
    Path open = Files.createDirectories(dir.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxr-x"));
    assertThatThrownBy(() -> PrivateDirectory.ensure(open, "memory directory")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("memory directory " + open + " is open to other users (rwxrwxr-x); chmod 700 it");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(open))).isEqualTo("rwxrwxr-x");

    // One of ours that others could only read (what earlier versions made) is closed, not refused.
    Path readable = Files.createDirectories(dir.resolve("readable"));
    Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rwxr-xr-x"));
    PrivateDirectory.ensure(readable, "memory directory");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(readable))).isEqualTo("rwx------");

    Path link = Files.createSymbolicLink(dir.resolve("link"), Files.createDirectories(dir.resolve("target")));
    assertThatThrownBy(() -> PrivateDirectory.ensure(link, "socket directory")).hasMessageContaining("symbolic link");

    Path mine = PrivateDirectory.ensure(dir.resolve("mine"), "memory directory");
    UserPrincipal other = java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService()
        .lookupPrincipalByName("nobody");
    assertThat(PrivateDirectory.problem(mine, other)).contains("is owned by").contains("not by nobody");
  }

  @Test
  void guestMemoryFilesAreForTheAgentsUserAlone() throws Exception {
    Path file = dir.resolve("vm.mem");
    try (GuestMemory m = GuestMemory.create(file, 16 << 20)) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }
  }

  @Test
  void anAgentRefusesToStartOnAnOpenOrForeignMemoryDirectoryWithExitCode2() throws Exception {
    Path open = Files.createDirectories(dir.resolve("shm-open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    Run r = agent(open);
    assertThat(r.exit).isEqualTo(2);
    assertThat(r.err.strip()).startsWith("roam-agent: memory directory " + open).contains("open to other users")
        .doesNotContain("\n");

    // Another user's directory (needs root to make one): refused even though its mode is 0700.
    assumeTrue(System.getProperty("user.name").equals("root"), "only root can give a directory away");
    Path foreign = Files.createDirectories(dir.resolve("shm-foreign"));
    Files.setPosixFilePermissions(foreign, PosixFilePermissions.fromString("rwx------"));
    Files.setOwner(foreign, java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService()
        .lookupPrincipalByName("nobody"));
    r = agent(foreign);
    assertThat(r.exit).isEqualTo(2);
    assertThat(r.err.strip()).contains("is owned by nobody").doesNotContain("\n");
    assertThat(foreign.resolve("host1")).doesNotExist();
  }

  private record Run(int exit, String err) {}

  /** A real agent process (ZooKeeper unreachable: it must stop before it gets that far). */
  private Run agent(Path memoryDir) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.roam.agent.AgentMain", "--name", "host1", "--zk",
        "127.0.0.1:1", "--memory-dir", memoryDir.toString(), "--data-dir", dir.resolve("data").toString(),
        "--datastore", dir.resolve("datastore").toString()));
    // Valid certificates, so that what stops the agent is the directory (TLS is checked first).
    io.roam.common.security.TlsFiles tls = new io.roam.agent.migration.TestPki(dir.resolve("pki-" + memoryDir.getFileName()))
        .files(io.roam.common.security.Role.AGENT, "host1");
    cmd.addAll(List.of("--tls-ca", tls.ca().toString(), "--tls-cert", tls.cert().toString(), "--tls-key",
        tls.key().toString()));
    Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), err);
  }
}
