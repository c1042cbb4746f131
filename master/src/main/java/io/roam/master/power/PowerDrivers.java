package io.roam.master.power;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/** Builds a host's power driver from its configured {@link PowerSpec}, and checks specs when they are loaded. */
public final class PowerDrivers {
  private PowerDrivers() {}

  /** How the master reaches an agent to shut its host down (wol), and asks whether it is up. */
  public interface AgentAccess {
    void shutdown() throws Exception;

    boolean isUp() throws Exception;
  }

  /** Null when the spec can be used, else what is wrong with it. */
  public static String check(PowerSpec s) {
    switch (s.driver()) {
      case "ipmi":
        if (blank(s.address()) || blank(s.user()) || blank(s.passwordFile())) {
          return "the ipmi driver needs bmc, user and password-file";
        }
        return null;
      case "wol":
        if (blank(s.mac())) {
          return "the wol driver needs mac";
        }
        try {
          WakeOnLanDriver.parseMac(s.mac());
        } catch (IllegalArgumentException e) {
          return e.getMessage();
        }
        return null;
      case "process":
        if (s.command().isEmpty() || blank(s.pidFile())) {
          return "the process driver needs command (a list) and pid-file";
        }
        return null;
      default:
        return "unknown power driver '" + s.driver() + "': use ipmi, wol or process";
    }
  }

  public static PowerDriver create(PowerSpec s, String ipmitool, AgentAccess agent) throws PowerException {
    String problem = check(s);
    if (problem != null) {
      throw new PowerException(problem);
    }
    switch (s.driver()) {
      case "ipmi": {
        char[] password = readPassword(Path.of(s.passwordFile()));
        try {
          return new IpmiPowerDriver(s.address(), s.user(), password, ipmitool, Duration.ofSeconds(20));
        } finally {
          Arrays.fill(password, '\0');
        }
      }
      case "wol":
        try {
          InetAddress broadcast = InetAddress.getByName(blank(s.address()) ? "255.255.255.255" : s.address());
          return new WakeOnLanDriver(s.mac(), broadcast, 9, agent::shutdown, agent::isUp);
        } catch (IOException e) {
          throw new PowerException("bad broadcast address " + s.address() + ": " + e.getMessage(), e);
        }
      default:
        Path pid = Path.of(s.pidFile());
        return new ProcessPowerDriver(s.command(), pid, pid.resolveSibling(pid.getFileName() + ".log"),
            Duration.ofSeconds(15));
    }
  }

  /** One line for `host ls`: the driver and where it points, never a credential. */
  public static String describe(PowerSpec s) {
    return switch (s.driver()) {
      case "ipmi" -> "ipmi " + s.user() + "@" + s.address();
      case "wol" -> "wol " + s.mac();
      default -> "process " + s.pidFile();
    };
  }

  /**
   * Null when the BMC password file may hold a secret: readable by its owner only (no group or
   * other permission bits, so 0600 or 0400), else one line saying what to fix.
   */
  public static String passwordFileProblem(Path file) {
    try {
      java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      for (java.nio.file.attribute.PosixFilePermission p : perms) {
        if (!p.name().startsWith("OWNER_")) {
          return "the BMC password file " + file + " is accessible to others (mode "
              + java.nio.file.attribute.PosixFilePermissions.toString(perms) + "); chmod 600 it";
        }
      }
      return null;
    } catch (IOException e) {
      return "cannot read the BMC password file " + file + ": " + e.getClass().getSimpleName();
    } catch (UnsupportedOperationException e) {
      return "cannot check the mode of the BMC password file " + file + " on this file system";
    }
  }

  private static char[] readPassword(Path file) throws PowerException {
    String problem = passwordFileProblem(file);
    if (problem != null) {
      throw new PowerException(problem);
    }
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8).strip();
      return text.toCharArray();
    } catch (IOException e) {
      // The message names the file, not its content.
      throw new PowerException("cannot read the BMC password file " + file + ": " + e.getClass().getSimpleName(), e);
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
