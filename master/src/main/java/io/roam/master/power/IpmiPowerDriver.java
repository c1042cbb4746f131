package io.roam.master.power;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Power through a baseboard management controller, with the real {@code ipmitool}:
 * {@code ipmitool -I lanplus -H BMC -U USER -E chassis power on|off|status}. The password goes
 * through the IPMI_PASSWORD environment variable ({@code -E}), never on the command line, so it is
 * not in process listings, and it is never logged or put in an error message.
 */
public final class IpmiPowerDriver implements PowerDriver {
  private final String bmc;
  private final String user;
  private final char[] password;
  private final String ipmitool;
  private final Duration timeout;

  /**
   * @param ipmitool the command to run: "ipmitool" (found on PATH) or a path
   */
  public IpmiPowerDriver(String bmc, String user, char[] password, String ipmitool, Duration timeout) {
    this.bmc = bmc;
    this.user = user;
    this.password = password.clone();
    this.ipmitool = ipmitool;
    this.timeout = timeout;
  }

  @Override
  public void powerOn() throws PowerException {
    run("on");
  }

  @Override
  public void powerOff() throws PowerException {
    run("off");
  }

  @Override
  public PowerState status() throws PowerException {
    String out = run("status").toLowerCase(Locale.ROOT);
    if (out.contains("power is on")) {
      return PowerState.ON;
    }
    if (out.contains("power is off")) {
      return PowerState.OFF;
    }
    return PowerState.UNKNOWN;
  }

  /** The command line (no credential in it), for tests and logs. */
  List<String> command(String action) {
    return new ArrayList<>(List.of(ipmitool, "-I", "lanplus", "-H", bmc, "-U", user, "-E", "chassis", "power", action));
  }

  private String run(String action) throws PowerException {
    ProcessBuilder pb = new ProcessBuilder(command(action)).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("IPMI_PASSWORD", new String(password));
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new PowerException("ipmitool chassis power " + action + " on " + bmc + " did not finish within "
            + timeout.toSeconds() + " s");
      }
      String out = redact(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
      if (p.exitValue() != 0) {
        throw new PowerException("ipmitool chassis power " + action + " on " + bmc + " failed (exit " + p.exitValue()
            + "): " + out);
      }
      return out;
    } catch (IOException e) {
      throw new PowerException("cannot run " + ipmitool + " for " + bmc + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PowerException("interrupted while powering " + action + " " + bmc, e);
    }
  }

  /** A tool may echo its input; the password must not reach an error message. */
  private String redact(String text) {
    return password.length == 0 ? text : text.replace(new String(password), "****");
  }

  @Override
  public String toString() {
    return "ipmi " + user + "@" + bmc;
  }
}
