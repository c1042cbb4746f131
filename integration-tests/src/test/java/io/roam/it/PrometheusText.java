package io.roam.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A scrape parsed by a real Prometheus text-format parser: the official Python client's
 * ({@code prometheus_client.parser}, Debian's python3-prometheus-client, which .ci/run installs),
 * run as a child process. A scrape it cannot parse fails the test with the parser's own message.
 */
final class PrometheusText {
  /** One sample: its name (with _total, _bucket, _count, ... as exposed), labels and value. */
  record Sample(String family, String type, String name, Map<String, String> labels, double value) {}

  private static final String PARSER = """
      import json, sys
      from prometheus_client.parser import text_string_to_metric_families
      for f in text_string_to_metric_families(sys.stdin.read()):
          for s in f.samples:
              print(json.dumps({"family": f.name, "type": f.type, "name": s.name, "labels": s.labels,
                                "value": s.value}))
      """;

  private final List<Sample> samples;

  private PrometheusText(List<Sample> samples) {
    this.samples = samples;
  }

  static PrometheusText parse(String exposition) throws IOException, InterruptedException {
    Path python = Path.of("/usr/bin/python3");
    Process p = new ProcessBuilder(python.toString(), "-c", PARSER).redirectErrorStream(false).start();
    p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError("the Prometheus text parser refused the scrape (apt-get install python3-prometheus-client"
          + " if it is missing): " + err);
    }
    ObjectMapper json = new ObjectMapper();
    List<Sample> samples = new java.util.ArrayList<>();
    for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode n = json.readTree(line);
      Map<String, String> labels = new java.util.TreeMap<>();
      n.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
      samples.add(new Sample(n.path("family").asText(), n.path("type").asText(), n.path("name").asText(), labels,
          n.path("value").asDouble()));
    }
    return new PrometheusText(samples);
  }

  List<Sample> samples() {
    return samples;
  }

  /** Every family and sample name in the scrape (a family "x" of a counter has samples "x_total"). */
  Set<String> names() {
    Set<String> names = new HashSet<>();
    samples.forEach(s -> {
      names.add(s.family());
      names.add(s.name());
    });
    return names;
  }

  /** The value of the sample {@code name} whose labels include {@code labels} (pairs), or NaN if none. */
  double value(String name, String... labels) {
    return samples.stream().filter(s -> s.name().equals(name) && matches(s.labels(), labels)).mapToDouble(Sample::value)
        .findFirst().orElse(Double.NaN);
  }

  /** The value as {@link #value}, 0 when absent (a counter not yet counted). */
  double count(String name, String... labels) {
    double v = value(name, labels);
    return Double.isNaN(v) ? 0 : v;
  }

  private static boolean matches(Map<String, String> have, String... want) {
    for (int i = 0; i + 1 < want.length; i += 2) {
      if (!want[i + 1].equals(have.get(want[i]))) {
        return false;
      }
    }
    return true;
  }

  /** Runs {@code promtool check metrics} (Prometheus' own linter of names, units and HELP) when it is installed. */
  static String lint(String exposition) throws IOException, InterruptedException {
    Path promtool = Path.of("/usr/bin/promtool");
    if (!Files.isExecutable(promtool)) {
      return "";
    }
    Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
    p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }
}
