package io.roam.master.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PowerDriversTest {
  @TempDir Path dir;

  /** A recording stand-in for ipmitool: writes its arguments and password to files, answers like the real one. */
  private Path fakeIpmitool(String answer, int exit) throws Exception {
    Path tool = dir.resolve("ipmitool");
    Files.writeString(tool, "#!/bin/sh\n"
        + "echo \"$@\" >> " + dir.resolve("args") + "\n"
        + "printf '%s' \"$IPMI_PASSWORD\" > " + dir.resolve("password") + "\n"
        + "echo '" + answer + "'\n"
        + "exit " + exit + "\n");
    Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
    return tool;
  }

  @Test
  void ipmiRunsTheRealCommandLineWithThePasswordOnlyInItsEnvironment() throws Exception {
    Path tool = fakeIpmitool("Chassis Power is on", 0);
    IpmiPowerDriver d = new IpmiPowerDriver("10.0.0.5", "admin", "s3cret!".toCharArray(), tool.toString(), Duration.ofSeconds(10));
    assertThat(d.status()).isEqualTo(PowerDriver.PowerState.ON);
    d.powerOff();
    d.powerOn();
    assertThat(Files.readAllLines(dir.resolve("args"))).containsExactly(
        "-I lanplus -H 10.0.0.5 -U admin -E chassis power status",
        "-I lanplus -H 10.0.0.5 -U admin -E chassis power off",
        "-I lanplus -H 10.0.0.5 -U admin -E chassis power on");
    assertThat(Files.readString(dir.resolve("password"))).isEqualTo("s3cret!");
    assertThat(String.join(" ", d.command("on"))).doesNotContain("s3cret");
    assertThat(d.toString()).isEqualTo("ipmi admin@10.0.0.5").doesNotContain("s3cret");
  }

  @Test
  void ipmiFailuresSayWhatFailedWithoutTheCredential() throws Exception {
    Path tool = fakeIpmitool("Error: Unable to establish IPMI v2 / RMCP+ session (password s3cret! rejected)", 1);
    IpmiPowerDriver d = new IpmiPowerDriver("10.0.0.6", "admin", "s3cret!".toCharArray(), tool.toString(), Duration.ofSeconds(10));
    assertThatThrownBy(d::powerOff).isInstanceOf(PowerException.class)
        .hasMessageContaining("ipmitool chassis power off on 10.0.0.6 failed (exit 1)")
        .hasMessageContaining("password **** rejected").hasMessageNotContaining("s3cret");
    IpmiPowerDriver missing = new IpmiPowerDriver("10.0.0.7", "admin", "x".toCharArray(), dir.resolve("nope").toString(),
        Duration.ofSeconds(10));
    assertThatThrownBy(missing::status).hasMessageContaining("cannot run");
  }

  @Test
  void wakeOnLanSendsARealMagicPacketAndPowersOffThroughTheAgent() throws Exception {
    AtomicBoolean shutDown = new AtomicBoolean();
    try (DatagramSocket receiver = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      receiver.setSoTimeout(5000);
      WakeOnLanDriver d = new WakeOnLanDriver("52:54:00:ab:cd:ef", InetAddress.getByName("127.0.0.1"),
          receiver.getLocalPort(), () -> shutDown.set(true), () -> !shutDown.get());
      d.powerOn();
      DatagramPacket got = new DatagramPacket(new byte[200], 200);
      receiver.receive(got);
      assertThat(got.getLength()).isEqualTo(102);
      byte[] p = java.util.Arrays.copyOf(got.getData(), 102);
      for (int i = 0; i < 6; i++) {
        assertThat(p[i]).isEqualTo((byte) 0xFF);
      }
      for (int r = 0; r < 16; r++) {
        assertThat(java.util.Arrays.copyOfRange(p, 6 + r * 6, 12 + r * 6))
            .containsExactly(0x52, 0x54, 0x00, 0xab, 0xcd, 0xef);
      }
      assertThat(d.status()).isEqualTo(PowerDriver.PowerState.ON);
      d.powerOff();
      assertThat(shutDown).isTrue();
      assertThat(d.status()).isEqualTo(PowerDriver.PowerState.OFF);
    }
    assertThatThrownBy(() -> WakeOnLanDriver.parseMac("52:54:00:ab:cd")).hasMessageContaining("is not a MAC address");
  }

  @Test
  void theProcessDriverStartsAndStopsARealProcessAndSurvivesARestartOfItsOwner() throws Exception {
    Path pid = dir.resolve("agent.pid");
    ProcessPowerDriver d = new ProcessPowerDriver(List.of("/bin/sleep", "300"), pid, dir.resolve("agent.log"),
        Duration.ofSeconds(5));
    assertThat(d.status()).isEqualTo(PowerDriver.PowerState.OFF);
    d.powerOn();
    assertThat(d.status()).isEqualTo(PowerDriver.PowerState.ON);
    long started = Long.parseLong(Files.readString(pid).trim());
    d.powerOn(); // already on: no second process
    assertThat(Long.parseLong(Files.readString(pid).trim())).isEqualTo(started);

    // A new driver (the master restarted) finds the process through the pid file.
    ProcessPowerDriver again = new ProcessPowerDriver(List.of("/bin/sleep", "300"), pid, dir.resolve("agent.log"),
        Duration.ofSeconds(5));
    assertThat(again.status()).isEqualTo(PowerDriver.PowerState.ON);
    again.powerOff();
    assertThat(again.status()).isEqualTo(PowerDriver.PowerState.OFF);
    assertThat(ProcessHandle.of(started).map(ProcessHandle::isAlive)).isIn(java.util.Optional.empty(),
        java.util.Optional.of(false));
  }

  @Test
  void theProcessDriverNeverSignalsAProcessThatDoesNotRunItsCommand() throws Exception {
    // Another program whose pid got into the pid file (a stale file, a reused pid, a forged one).
    Process victim = new ProcessBuilder("/bin/sleep", "301").start();
    try {
      Path pid = dir.resolve("agent.pid");
      Files.writeString(pid, Long.toString(victim.pid()));
      ProcessPowerDriver d = new ProcessPowerDriver(List.of("/bin/sleep", "300"), pid, dir.resolve("agent.log"),
          Duration.ofSeconds(5));
      assertThat(d.status()).isEqualTo(PowerDriver.PowerState.OFF);
      d.powerOff();
      assertThat(victim.isAlive()).as("a process that does not run the configured command is left alone").isTrue();
    } finally {
      victim.destroyForcibly();
    }
  }

  @Test
  void aCommandRunThroughAWrapperThatExecsItCounts() throws Exception {
    Process p = new ProcessBuilder("/usr/bin/env", "sleep", "302").start();
    try {
      Path pid = dir.resolve("wrapped.pid");
      Files.writeString(pid, Long.toString(p.pid()));
      ProcessPowerDriver d = new ProcessPowerDriver(List.of("/usr/bin/env", "sleep", "302"), pid,
          dir.resolve("wrapped.log"), Duration.ofSeconds(5));
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> d.status() == PowerDriver.PowerState.ON); // once env has exec'd sleep
      d.powerOff();
      assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void theProcessDriverKnowsItsProcessByACommandLineLongerThan4KiB() throws Exception {
    // An agent's command line holds its class path: far beyond what ProcessHandle.Info reports.
    List<String> command = new java.util.ArrayList<>(List.of("/bin/sleep", "300"));
    command.addAll(java.util.Collections.nCopies(2500, "0")); // sleep adds them up: still 300 s
    Path pid = dir.resolve("long.pid");
    ProcessPowerDriver d = new ProcessPowerDriver(command, pid, dir.resolve("long.log"), Duration.ofSeconds(5));
    d.powerOn();
    long started = Long.parseLong(Files.readString(pid).trim());
    try {
      assertThat(d.status()).isEqualTo(PowerDriver.PowerState.ON);
      d.powerOff();
      assertThat(d.status()).isEqualTo(PowerDriver.PowerState.OFF);
      assertThat(ProcessHandle.of(started).map(ProcessHandle::isAlive)).isIn(java.util.Optional.empty(),
          java.util.Optional.of(false));
    } finally {
      ProcessHandle.of(started).ifPresent(ProcessHandle::destroyForcibly);
    }
  }
}
