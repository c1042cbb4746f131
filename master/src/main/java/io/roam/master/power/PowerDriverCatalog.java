package io.roam.master.power;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The power drivers the masters may use, defined in their configuration: the YAML file that the
 * setting {@code power.drivers} names, a mapping of driver name to driver:
 *
 * <pre>
 * rack1-h1: {driver: ipmi, bmc: 10.0.0.9, user: admin, password-file: /etc/roam/bmc-h1.pass}
 * h2:       {driver: wol, mac: "52:54:00:ab:cd:ef", broadcast: 10.0.0.255}
 * host3:    {driver: process, command: [java, -cp, "lib/*", io.roam.agent.AgentMain, ...], pid-file: run/host3.pid}
 * </pre>
 *
 * <p>Why here and not in the API: a process driver runs a command as the master's user and an IPMI
 * driver reads a file on the master, so whoever defines a driver has the master's powers. The API
 * (and ZooKeeper) only ever hold a driver's name; the command, pid file, BMC and password file come
 * from this file, which only the masters' operator writes.
 *
 * <p>The file is read again at each use (it is small), so an operator adds a host's driver without
 * restarting the masters; a master checks it at start-up too, so a mistake shows at once. Thread-safe:
 * no state but the path.
 */
public final class PowerDriverCatalog {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  private static final Set<String> FIELDS = Set.of("driver", "bmc", "user", "password-file", "mac", "broadcast",
      "command", "pid-file");

  private final Path file;

  /** @param file the drivers file; null when the masters define no drivers */
  public PowerDriverCatalog(Path file) {
    this.file = file;
  }

  /** A catalog without drivers: every host is unpowered. */
  public static PowerDriverCatalog none() {
    return new PowerDriverCatalog(null);
  }

  /** Whether {@code name} can be a driver's name (also what a stored selection must look like). */
  public static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** The driver called {@code name}, if the configuration defines it (and it can be used). */
  public Optional<PowerSpec> find(String name) throws PowerException {
    return Optional.ofNullable(load().get(name));
  }

  /** Every configured driver by name, checked; a problem is one line naming the file and the driver. */
  public Map<String, PowerSpec> load() throws PowerException {
    if (file == null) {
      return Map.of();
    }
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    } catch (IOException e) {
      throw new PowerException("cannot read the power drivers file " + file + ": "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName()));
    }
    Map<String, PowerSpec> out = new LinkedHashMap<>();
    if (root == null || root.isMissingNode() || root.isNull()) {
      return out;
    }
    if (!root.isObject()) {
      throw problem("must be a mapping of driver names to drivers");
    }
    Iterator<Map.Entry<String, JsonNode>> it = root.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      if (!isValidName(name)) {
        throw problem("'" + name + "' is not a driver name (letters, digits, '.', '_', '-'; at most 63)");
      }
      PowerSpec spec = parse(name, e.getValue());
      String wrong = PowerDrivers.check(spec);
      if (wrong == null && spec.driver().equals("ipmi")) {
        wrong = PowerDrivers.passwordFileProblem(Path.of(spec.passwordFile()));
      }
      if (wrong != null) {
        throw problem("driver " + name + ": " + wrong);
      }
      out.put(name, spec);
    }
    return out;
  }

  private PowerSpec parse(String name, JsonNode n) throws PowerException {
    if (!n.isObject()) {
      throw problem("driver " + name + " must be a mapping like {driver: ipmi, bmc: ..., ...}");
    }
    Iterator<String> keys = n.fieldNames();
    while (keys.hasNext()) {
      String k = keys.next();
      if (!FIELDS.contains(k)) {
        throw problem("driver " + name + ": unknown key '" + k + "'; known keys are " + String.join(", ",
            List.of("driver", "bmc", "user", "password-file", "mac", "broadcast", "command", "pid-file")));
      }
    }
    List<String> command = new ArrayList<>();
    JsonNode c = n.path("command");
    if (!c.isMissingNode()) {
      if (!c.isArray()) {
        throw problem("driver " + name + ": command must be a list, e.g. [java, -cp, ...]");
      }
      c.forEach(part -> command.add(part.asText()));
    }
    String driver = text(n, "driver");
    String address = driver.equals("wol") ? text(n, "broadcast") : text(n, "bmc");
    return new PowerSpec(driver, address, text(n, "user"), text(n, "password-file"), text(n, "mac"), command,
        text(n, "pid-file"));
  }

  private static String text(JsonNode n, String key) {
    JsonNode v = n.path(key);
    return v.isMissingNode() || v.isNull() ? "" : v.asText().trim();
  }

  private PowerException problem(String what) {
    return new PowerException("power drivers file " + file + ": " + what);
  }

  @Override
  public String toString() {
    return file == null ? "no power drivers" : "power drivers from " + file;
  }
}
