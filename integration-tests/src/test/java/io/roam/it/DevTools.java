package io.roam.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A headless Chromium driven over the Chrome DevTools Protocol, with the JDK's own WebSocket client:
 * navigate, evaluate JavaScript in the page (so tests wait on page conditions), take screenshots.
 * Enough for one page; not a general driver. Closing kills the browser. Thread-safe for one caller.
 */
final class DevTools implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");

  private final Process browser;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

  /** The Chromium binary on PATH, or null. */
  static String chromium() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      for (String name : List.of("chromium", "chromium-browser")) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return p.toString();
        }
      }
    }
    return null;
  }

  /**
   * Starts Chromium headless with {@code home} as its HOME (where its NSS database of trusted CAs is,
   * {@code home/.pki/nssdb}) and attaches to its page.
   */
  static DevTools launch(String binary, Path home, int width, int height) throws Exception {
    Path profile = Files.createDirectories(home.resolve("profile"));
    List<String> cmd = new ArrayList<>(List.of(binary, "--headless", "--disable-gpu", "--no-first-run",
        "--no-default-browser-check", "--disable-dev-shm-usage", "--remote-debugging-port=0",
        "--user-data-dir=" + profile, "--window-size=" + width + "," + height, "about:blank"));
    if ("root".equals(System.getProperty("user.name"))) {
      cmd.add(1, "--no-sandbox"); // Chromium refuses to run as root with its sandbox
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("HOME", home.toString());
    Process p = pb.start();
    try {
      String ws = null;
      java.io.BufferedReader err = p.errorReader();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      StringBuilder seen = new StringBuilder();
      while (ws == null && System.nanoTime() < deadline) {
        String line = err.readLine();
        if (line == null) {
          throw new IOException("chromium exited before it listened: " + seen);
        }
        seen.append(line).append('\n');
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          ws = m.group(1);
        }
      }
      if (ws == null) {
        throw new IOException("chromium did not say where DevTools listens within 60 s: " + seen);
      }
      // Drain the rest of its stderr so that it never blocks on a full pipe.
      Thread drain = new Thread(() -> err.lines().forEach(l -> { }), "chromium-stderr");
      drain.setDaemon(true);
      drain.start();
      URI browserUri = URI.create(ws);
      HttpClient http = HttpClient.newHttpClient();
      JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://" + browserUri.getAuthority()
          + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body());
      String page = null;
      for (JsonNode t : targets) {
        if (t.path("type").asText().equals("page")) {
          page = t.path("webSocketDebuggerUrl").asText();
        }
      }
      if (page == null) {
        throw new IOException("chromium has no page target: " + targets);
      }
      return new DevTools(p, http, URI.create(page), width, height);
    } catch (Exception e) {
      p.destroyForcibly();
      throw e;
    }
  }

  private DevTools(Process browser, HttpClient http, URI page, int width, int height) throws Exception {
    this.browser = browser;
    this.socket = http.newWebSocketBuilder().buildAsync(page, new Listener()).get(30, TimeUnit.SECONDS);
    call("Page.enable", JSON.createObjectNode());
    call("Runtime.enable", JSON.createObjectNode());
    ObjectNode metrics = JSON.createObjectNode().put("width", width).put("height", height).put("deviceScaleFactor", 1)
        .put("mobile", false);
    call("Emulation.setDeviceMetricsOverride", metrics);
  }

  /** Opens {@code url} in the page (returns when the navigation is committed, not when it is drawn). */
  JsonNode navigate(String url) throws Exception {
    JsonNode r = call("Page.navigate", JSON.createObjectNode().put("url", url));
    if (r.hasNonNull("errorText") && !r.path("errorText").asText().isEmpty()) {
      throw new IOException("cannot open " + url + ": " + r.path("errorText").asText());
    }
    return r;
  }

  /** The value of {@code expression} in the page (promises awaited), as JSON; a page exception is thrown. */
  JsonNode eval(String expression) throws Exception {
    JsonNode r = call("Runtime.evaluate", JSON.createObjectNode().put("expression", expression)
        .put("returnByValue", true).put("awaitPromise", true));
    if (r.has("exceptionDetails")) {
      throw new IOException("page threw: " + r.path("exceptionDetails"));
    }
    return r.path("result").path("value");
  }

  /** A PNG of the whole page (beyond the viewport) written to {@code file}. */
  void screenshot(Path file) throws Exception {
    JsonNode r = call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png")
        .put("captureBeyondViewport", true));
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, Base64.getDecoder().decode(r.path("data").asText()));
  }

  private JsonNode call(String method, ObjectNode params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    pending.put(id, f);
    ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
    msg.set("params", params);
    socket.sendText(JSON.writeValueAsString(msg), true).get(30, TimeUnit.SECONDS);
    JsonNode reply = f.get(60, TimeUnit.SECONDS);
    if (reply.has("error")) {
      throw new IOException(method + ": " + reply.path("error"));
    }
    return reply.path("result");
  }

  @Override
  public void close() {
    try {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the browser is killed next anyway
    }
    browser.destroyForcibly();
    try {
      browser.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Replies (with an id) complete their call; events are not needed here and are dropped. */
  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          JsonNode msg = JSON.readTree(partial.toString());
          if (msg.has("id")) {
            CompletableFuture<JsonNode> f = pending.remove(msg.path("id").asInt());
            if (f != null) {
              f.complete(msg);
            }
          }
        } catch (IOException e) {
          // not JSON: ignore
        }
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }
  }
}
