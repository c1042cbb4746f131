package io.roam.master.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The masters' power.drivers file: what it defines, and the one-line refusals of what it must not. */
class PowerDriverCatalogTest {
  @TempDir Path dir;

  @Test
  void definesDriversByNameWithTheirParameters() throws Exception {
    Path pass = secret("s3cret", "rw-------");
    Path file = write("""
        rack1-h1: {driver: ipmi, bmc: 10.0.0.9, user: admin, password-file: %s}
        h2: {driver: wol, mac: "52:54:00:ab:cd:ef", broadcast: 10.0.0.255}
        host3:
          driver: process
          command: [java, -cp, "lib/*", io.roam.agent.AgentMain, --name, host3]
          pid-file: /run/roam/host3.pid
        """.formatted(pass));
    var drivers = new PowerDriverCatalog(file).load();
    assertThat(drivers).containsOnlyKeys("rack1-h1", "h2", "host3");
    assertThat(drivers.get("rack1-h1")).isEqualTo(new PowerSpec("ipmi", "10.0.0.9", "admin", pass.toString(), "",
        List.of(), ""));
    assertThat(drivers.get("h2").address()).isEqualTo("10.0.0.255");
    assertThat(drivers.get("host3").command()).containsExactly("java", "-cp", "lib/*", "io.roam.agent.AgentMain",
        "--name", "host3");
    assertThat(PowerDriverCatalog.none().load()).isEmpty();
  }

  @Test
  void anIpmiPasswordFileOthersCanReadIsRefusedInOneLine() throws Exception {
    Path pass = secret("s3cret", "rw-r--r--");
    Path file = write("h1: {driver: ipmi, bmc: 10.0.0.9, user: admin, password-file: " + pass + "}\n");
    assertThatThrownBy(() -> new PowerDriverCatalog(file).load()).isInstanceOf(PowerException.class)
        .hasMessageContaining(pass.toString()).hasMessageContaining("chmod 600")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("s3cret"));
    // The driver, if built anyway (the mode changed after start-up), refuses to read it too.
    assertThatThrownBy(() -> PowerDrivers.create(new PowerSpec("ipmi", "10.0.0.9", "admin", pass.toString(), "",
        List.of(), ""), "ipmitool", null)).isInstanceOf(PowerException.class).hasMessageContaining("chmod 600");
    Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("r--------"));
    assertThat(new PowerDriverCatalog(file).load()).containsKey("h1");
  }

  @Test
  void mistakesAreOneLineNamingTheDriver() throws Exception {
    assertThatThrownBy(() -> new PowerDriverCatalog(write("h1: {driver: process, command: 'rm -rf /', pid-file: /x}\n"))
        .load()).hasMessageContaining("driver h1: command must be a list");
    assertThatThrownBy(() -> new PowerDriverCatalog(write("h1: {driver: process, pid-file: /x}\n")).load())
        .hasMessageContaining("driver h1: the process driver needs command");
    assertThatThrownBy(() -> new PowerDriverCatalog(write("h1: {driver: magic}\n")).load())
        .hasMessageContaining("unknown power driver 'magic'");
    assertThatThrownBy(() -> new PowerDriverCatalog(write("h1: {driver: wol, mac: 'aa:bb:cc:dd:ee:ff', cmd: x}\n"))
        .load()).hasMessageContaining("unknown key 'cmd'");
    assertThatThrownBy(() -> new PowerDriverCatalog(write("'../h1': {driver: wol, mac: 'aa:bb:cc:dd:ee:ff'}\n"))
        .load()).hasMessageContaining("is not a driver name");
    assertThatThrownBy(() -> new PowerDriverCatalog(dir.resolve("missing.yaml")).load())
        .hasMessageContaining("cannot read the power drivers file");
  }

  private Path write(String yaml) throws Exception {
    Path p = Files.createTempFile(dir, "drivers", ".yaml");
    Files.writeString(p, yaml);
    return p;
  }

  private Path secret(String text, String mode) throws Exception {
    Path p = Files.createTempFile(dir, "bmc", ".pass");
    Files.writeString(p, text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    return p;
  }
}
