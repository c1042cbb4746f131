package io.roam.common.config;

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

/**
 * A process's settings, from (lowest to highest precedence) defaults, a YAML file, environment
 * variables and command-line flags. Every value is parsed at load time, so a bad value stops the
 * process at start-up with the key's name and what is allowed, never later.
 *
 * <p>The YAML file may be shared by masters and agents: it may hold any key Roam knows ({@link
 * RoamKeys#ALL}); a key Roam does not know is an error (a typo must not be silently ignored).
 */
public final class Config {
  public static final String CONFIG_FLAG = "config";

  private final Map<String, Object> values;
  private final Map<String, String> sources;

  private Config(Map<String, Object> values, Map<String, String> sources) {
    this.values = values;
    this.sources = sources;
  }

  /**
   * Loads the settings of one process.
   *
   * @param keys the keys this process reads (its flags come from these)
   * @param args command-line flags: {@code --flag value}, {@code --flag=value}, or {@code --dotted.name=value};
   *     {@code --config FILE} names the YAML file
   * @param env the environment (System.getenv() in production)
   * @param defaultFile a YAML file read when no --config is given and it exists; may be null
   */
  public static Config load(List<ConfigKey<?>> keys, String[] args, Map<String, String> env, Path defaultFile) {
    Map<String, String> flags = parseFlags(keys, args);
    Map<String, Object> values = new LinkedHashMap<>();
    Map<String, String> sources = new LinkedHashMap<>();
    for (ConfigKey<?> k : keys) {
      values.put(k.name(), k.defaultValue());
      sources.put(k.name(), "default");
    }
    Path file = flags.containsKey(CONFIG_FLAG) ? Path.of(flags.remove(CONFIG_FLAG))
        : env.containsKey("ROAM_CONFIG") ? Path.of(env.get("ROAM_CONFIG")) : defaultFile;
    if (file != null) {
      boolean explicit = file != defaultFile;
      if (Files.exists(file)) {
        Map<String, String> yaml = readYaml(file);
        for (ConfigKey<?> k : keys) {
          if (yaml.containsKey(k.name())) {
            values.put(k.name(), k.parse(yaml.get(k.name())));
            sources.put(k.name(), file.toString());
          }
        }
      } else if (explicit) {
        throw new ConfigException("config file " + file + " does not exist");
      }
    }
    for (ConfigKey<?> k : keys) {
      String v = env.get(k.envName());
      if (v != null && !v.isBlank()) {
        values.put(k.name(), k.parse(v));
        sources.put(k.name(), "$" + k.envName());
      }
    }
    for (ConfigKey<?> k : keys) {
      String v = flags.get(k.name());
      if (v != null) {
        values.put(k.name(), k.parse(v));
        sources.put(k.name(), "--" + k.flag());
      }
    }
    return new Config(values, sources);
  }

  @SuppressWarnings("unchecked")
  public <T> T get(ConfigKey<T> key) {
    if (!values.containsKey(key.name())) {
      throw new IllegalStateException(key.name() + " is not a setting of this process");
    }
    return (T) values.get(key.name());
  }

  /** Where a key's value came from: default, the file, an environment variable or a flag. */
  public String source(ConfigKey<?> key) {
    return sources.get(key.name());
  }

  /** One line per key, with where its value came from, for start-up logs. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    values.forEach((k, v) -> sb.append(k).append('=').append(v).append(" (").append(sources.get(k)).append(")\n"));
    return sb.toString();
  }

  /**
   * Logs, once at start, every setting of the process with its value and where it came from
   * (default, the YAML file, a ROAM_* variable or a flag): one line saying which process, then
   * {@link #describe()}. Values are paths, sizes and names, never secrets (a BMC password is in a
   * file the power drivers name, and only that file's path is a setting).
   */
  public void logEffective(String process) {
    org.slf4j.LoggerFactory.getLogger(Config.class).info("{}: effective configuration (value, and where it came from):\n{}",
        process, describe().stripTrailing());
  }

  /** A usage text listing every flag of a process. */
  public static String usage(String command, List<ConfigKey<?>> keys) {
    StringBuilder sb = new StringBuilder("Usage: " + command + " [--config FILE] [options] | --help | --version\n\n"
        + "Options (flag, YAML key, environment variable):\n");
    for (ConfigKey<?> k : keys) {
      sb.append(String.format("  --%-18s %-24s %-28s %s (default: %s)%n", k.flag(), k.name(), k.envName(), k.doc(),
          k.defaultValue() == null || "".equals(String.valueOf(k.defaultValue())) ? "none" : k.defaultValue()));
    }
    sb.append("\nPrecedence: flags > environment > YAML file > defaults.\n");
    return sb.toString();
  }

  private static Map<String, String> parseFlags(List<ConfigKey<?>> keys, String[] args) {
    Map<String, String> byFlag = new LinkedHashMap<>();
    for (ConfigKey<?> k : keys) {
      byFlag.put(k.flag(), k.name());
      byFlag.put(k.name(), k.name());
    }
    byFlag.put(CONFIG_FLAG, CONFIG_FLAG);
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new ConfigException("unexpected argument '" + a + "'; options look like --name value");
      }
      String flag = a.substring(2);
      String value = null;
      int eq = flag.indexOf('=');
      if (eq >= 0) {
        value = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      }
      String name = byFlag.get(flag);
      if (name == null) {
        throw new ConfigException("unknown option --" + flag + " (see --help)");
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new ConfigException("option --" + flag + " needs a value");
        }
        value = args[++i];
      }
      out.put(name, value);
    }
    return out;
  }

  private static Map<String, String> readYaml(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage().lines().findFirst().orElse(""));
    }
    Map<String, String> flat = new LinkedHashMap<>();
    if (root != null && !root.isMissingNode() && !root.isNull()) {
      if (!root.isObject()) {
        throw new ConfigException("config file " + file + " must be a YAML mapping of keys to values");
      }
      flatten("", root, flat);
    }
    List<String> unknown = new ArrayList<>();
    for (String k : flat.keySet()) {
      if (RoamKeys.ALL.stream().noneMatch(key -> key.name().equals(k))) {
        unknown.add(k);
      }
    }
    if (!unknown.isEmpty()) {
      throw new ConfigException("unknown key(s) in " + file + ": " + String.join(", ", unknown)
          + "; known keys are listed by --help and in conf/roam.yaml");
    }
    return flat;
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      // "zk" is both a value (the connect string) and a prefix (zk.embedded.port); YAML can hold both
      // only as zk: {connect: ...}, so "connect" maps back to the bare key.
      if (e.getKey().equals("connect") && !prefix.isEmpty()) {
        key = prefix;
      }
      if (e.getValue().isObject()) {
        flatten(key, e.getValue(), out);
      } else {
        out.put(key, e.getValue().isNull() ? "" : e.getValue().asText());
      }
    }
  }
}
