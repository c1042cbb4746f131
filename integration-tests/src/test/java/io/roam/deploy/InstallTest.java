package io.roam.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.status.Status;
import io.roam.common.config.Config;
import io.roam.common.config.RoamKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as a machine gets it: {@code bin/roam-install} run into a temporary root
 * (--destdir), the systemd units it installs checked by {@code systemd-analyze verify} and against
 * the paths of the installed roam.yaml, and the tarball's logging configuration.
 *
 * <p>Works on the source tree (deploy/src/dist and deploy/systemd laid out as the tarball lays them
 * out), so it needs no assembly.
 */
class InstallTest {
  private static final Path DEPLOY = Path.of("").toAbsolutePath().getParent().resolve("deploy");

  @TempDir Path tmp;

  record Run(int exit, String output) {}

  /** A distribution directory as the tarball has it: bin/, conf/, systemd/, chaos/, lib/. */
  private Path distribution() throws IOException {
    Path home = tmp.resolve("roam");
    copyTree(DEPLOY.resolve("src/dist/bin"), home.resolve("bin"));
    copyTree(DEPLOY.resolve("src/dist/conf"), home.resolve("conf"));
    copyTree(DEPLOY.resolve("systemd"), home.resolve("systemd"));
    copyTree(DEPLOY.resolve("chaos"), home.resolve("chaos"));
    Files.createDirectories(home.resolve("lib"));
    return home;
  }

  private Path install() throws Exception {
    Path root = tmp.resolve("root");
    Run r = run(List.of(distribution().resolve("bin/roam-install").toString(), "--destdir", root.toString()));
    assertThat(r.exit()).as(r.output()).isZero();
    return root;
  }

  @Test
  void installerLaysOutConfigurationPkiDatastoreAndUnitsWithTheirModes() throws Exception {
    Path root = install();

    assertThat(root.resolve("opt/roam/bin/roam-agent")).isExecutable();
    assertThat(root.resolve("opt/roam/conf/logback.xml")).exists();
    assertThat(mode(root.resolve("etc/roam/roam.yaml"))).isEqualTo("rw-r-----");
    assertThat(mode(root.resolve("etc/roam/pki"))).isEqualTo("rwxr-x---");
    assertThat(mode(root.resolve("etc/roam/pki/agent"))).isEqualTo("rwx------");
    assertThat(mode(root.resolve("etc/roam/pki/master"))).isEqualTo("rwx------");
    assertThat(mode(root.resolve("srv/roam/datastore"))).isEqualTo("rwxr-x---");
    assertThat(mode(root.resolve("etc/systemd/system/roam-agent.service"))).isEqualTo("rw-r--r--");
    assertThat(mode(root.resolve("etc/systemd/system/roam-master.service"))).isEqualTo("rw-r--r--");

    // The installed file is a valid configuration for both daemons, with absolute production paths.
    Path yaml = root.resolve("etc/roam/roam.yaml");
    Config agent = Config.load(RoamKeys.AGENT, new String[0], Map.of("ROAM_CONFIG", yaml.toString()), null);
    assertThat(agent.get(RoamKeys.AGENT_DATA_DIR)).isEqualTo("/var/lib/roam/agent");
    assertThat(agent.get(RoamKeys.AGENT_DATASTORE)).isEqualTo("/srv/roam/datastore");
    assertThat(agent.get(RoamKeys.AGENT_JAR_DIRS)).isEqualTo("/opt/roam/lib/programs");
    Config master = Config.load(RoamKeys.MASTER, new String[0], Map.of("ROAM_CONFIG", yaml.toString()), null);
    assertThat(master.get(RoamKeys.ZK_EMBEDDED_DIR)).isEqualTo("/var/lib/roam/master/zk");
  }

  @Test
  void installingAgainKeepsTheOperatorsConfiguration() throws Exception {
    Path root = install();
    Path yaml = root.resolve("etc/roam/roam.yaml");
    Files.writeString(yaml, "# edited by the operator\n", java.nio.file.StandardOpenOption.APPEND);
    String edited = Files.readString(yaml);

    Run again = run(List.of(tmp.resolve("roam/bin/roam-install").toString(), "--destdir", root.toString()));

    assertThat(again.exit()).as(again.output()).isZero();
    assertThat(again.output()).contains("/etc/roam/roam.yaml exists: kept");
    assertThat(Files.readString(yaml)).isEqualTo(edited);
  }

  @Test
  void installerRefusesADirectoryThatIsNotADistributionAndWritesNothing() throws Exception {
    Path notDist = tmp.resolve("elsewhere/bin");
    Files.createDirectories(notDist);
    Files.copy(DEPLOY.resolve("src/dist/bin/roam-install"), notDist.resolve("roam-install"));
    Path root = tmp.resolve("root");

    Run r = run(List.of("bash", notDist.resolve("roam-install").toString(), "--destdir", root.toString()));

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.output().strip()).startsWith("roam-install: ").contains("is not a Roam distribution").doesNotContain("\n");
    assertThat(root).doesNotExist();
  }

  @Test
  void unitsPassSystemdAnalyzeVerify() throws Exception {
    Path analyze = Stream.of("/usr/bin/systemd-analyze", "/bin/systemd-analyze").map(Path::of)
        .filter(Files::isExecutable).findFirst().orElse(null);
    assumeTrue(analyze != null, "systemd-analyze is not installed (apt-get install systemd; .ci/run does): skipped");
    Path root = install();
    // verify --root resolves the units' dependencies (multi-user.target, sysinit.target...) inside the
    // root: give it this machine's targets and slices, and nothing else.
    Path system = root.resolve("usr/lib/systemd/system");
    Files.createDirectories(system);
    try (Stream<Path> units = Files.list(Path.of("/lib/systemd/system"))) {
      for (Path u : units.filter(p -> p.toString().endsWith(".target") || p.toString().endsWith(".slice")).toList()) {
        Files.copy(u, system.resolve(u.getFileName()), java.nio.file.LinkOption.NOFOLLOW_LINKS);
      }
    }

    Run r = run(List.of(analyze.toString(), "verify", "--root=" + root, "roam-master.service", "roam-agent.service"));

    // An unknown key or a value it cannot parse is only a warning (exit code 0): any output fails.
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).isEmpty();
  }

  @Test
  void unitsRunFromTheStateDirectoryHardenedAndWriteOnlyWhereRoamYamlPointsThem() throws Exception {
    Path root = install();
    Map<String, List<String>> agent = unit(root.resolve("etc/systemd/system/roam-agent.service"));
    Map<String, List<String>> master = unit(root.resolve("etc/systemd/system/roam-master.service"));
    for (Map<String, List<String>> u : List.of(agent, master)) {
      assertThat(u.get("User")).containsExactly("roam");
      assertThat(u.get("RestartPreventExitStatus")).containsExactly("2");
      assertThat(u.get("NoNewPrivileges")).containsExactly("yes");
      assertThat(u.get("ProtectSystem")).containsExactly("strict");
      assertThat(u.get("ProtectHome")).containsExactly("yes");
      assertThat(u.get("PrivateTmp")).containsExactly("yes");
      assertThat(u.get("CapabilityBoundingSet")).containsExactly(""); // no capability at all, today
      assertThat(u.get("RuntimeDirectory")).hasSize(1);
      assertThat(u.get("ROAM_CONFIG")).containsExactly("/etc/roam/roam.yaml");
      assertThat(u.get("ROAM_TLS_CA").get(0)).startsWith("/etc/roam/pki/");
    }
    assertThat(agent.get("StateDirectory")).containsExactly("roam roam/agent");
    assertThat(agent.get("WorkingDirectory")).containsExactly("/var/lib/roam/agent");
    assertThat(master.get("StateDirectory")).containsExactly("roam roam/master");
    assertThat(master.get("WorkingDirectory")).containsExactly("/var/lib/roam/master");

    // Under ProtectSystem=strict the agent writes only its state directory and ReadWritePaths: the
    // installed roam.yaml's data-dir, memory-dir and datastore must all be among them.
    Config config = Config.load(RoamKeys.AGENT, new String[0],
        Map.of("ROAM_CONFIG", root.resolve("etc/roam/roam.yaml").toString()), null);
    List<String> writable = new ArrayList<>(List.of("/var/lib/roam"));
    agent.get("ReadWritePaths").forEach(p -> writable.add(p.replaceFirst("^-", "")));
    for (String path : List.of(config.get(RoamKeys.AGENT_DATA_DIR), config.get(RoamKeys.AGENT_MEMORY_DIR),
        config.get(RoamKeys.AGENT_DATASTORE))) {
      assertThat(writable).as(path + " writable by roam-agent.service")
          .anyMatch(w -> Path.of(path).startsWith(Path.of(w)));
    }
    Config masterConfig = Config.load(RoamKeys.MASTER, new String[0],
        Map.of("ROAM_CONFIG", root.resolve("etc/roam/roam.yaml").toString()), null);
    assertThat(Path.of(masterConfig.get(RoamKeys.ZK_EMBEDDED_DIR)).startsWith("/var/lib/roam/master"))
        .as("zk.embedded.dir in the master's state directory").isTrue();
  }

  @Test
  void binScriptsUseTheTarballsLogbackXmlWhichLogbackAcceptsWithoutError() throws Exception {
    for (String script : List.of("roam-master", "roam-agent", "roamctl")) {
      assertThat(Files.readString(DEPLOY.resolve("src/dist/bin/" + script)))
          .contains("$ROAM_HOME/conf/logback.xml").contains("-Dlogback.configurationFile=\"$LOGBACK\"");
    }
    LoggerContext context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(DEPLOY.resolve("src/dist/conf/logback.xml").toFile());
    List<Status> problems = context.getStatusManager().getCopyOfStatusList().stream()
        .filter(s -> s.getLevel() >= Status.WARN).toList();
    assertThat(problems).isEmpty();
    assertThat(context.getLogger("io.grpc").getLevel()).hasToString("WARN");
    context.stop();
  }

  @Test
  void roamctlScriptNoLongerClaimsToReadRoamYaml() throws Exception {
    String header = Files.readString(DEPLOY.resolve("src/dist/bin/roamctl")).lines()
        .filter(l -> l.startsWith("#")).reduce("", (a, b) -> a + b + "\n");
    assertThat(header).contains("does not read conf/roam.yaml").contains("ROAM_MASTER");
  }

  /** Every Key=Value of a unit file (values of repeated keys in order); Environment= split by variable. */
  private static Map<String, List<String>> unit(Path file) throws IOException {
    Map<String, List<String>> m = new java.util.HashMap<>();
    for (String line : Files.readAllLines(file)) {
      if (line.startsWith("#") || line.startsWith("[") || !line.contains("=")) {
        continue;
      }
      String key = line.substring(0, line.indexOf('='));
      String value = line.substring(line.indexOf('=') + 1);
      if (key.equals("Environment")) {
        key = value.substring(0, value.indexOf('='));
        value = value.substring(value.indexOf('=') + 1);
      }
      m.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }
    return m;
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  private static Run run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : all.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
