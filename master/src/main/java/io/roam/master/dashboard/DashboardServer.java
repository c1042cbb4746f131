package io.roam.master.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.grpc.StatusRuntimeException;
import io.roam.common.security.JdkTls;
import io.roam.common.security.PeerIdentity;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's HTTP edge: HTTPS with the master's certificate (as the metrics endpoint), the
 * static page, its JSON and its event stream, the one action (apply a DRS recommendation), and the
 * login link. Knows nothing of the cluster beyond {@link Hub}.
 *
 * <p>Who is calling: a client certificate of the cluster CA (asked for, not required, since most
 * browsers have none), else the session cookie a login link set. Reading needs viewer; applying
 * needs operator and is a POST with the header {@value #ACTION_HEADER}: a cross-site form cannot
 * set a header, a cross-site script cannot without a CORS preflight (never granted here), and the
 * cookie is SameSite=Strict besides — so a page elsewhere cannot make a logged-in browser apply.
 *
 * <p>A standby redirects every request to the leader's dashboard, or says who leads when it cannot.
 * Thread-safe.
 */
final class DashboardServer implements AutoCloseable {
  static final String COOKIE = "roam_session";
  static final String ACTION_HEADER = "X-Roam-Action";
  /** Event streams at once: each holds a thread of the server's pool, which needs some for the rest. */
  static final int MAX_STREAMS = 16;
  private static final int THREADS = MAX_STREAMS + 8;
  private static final Logger LOG = LoggerFactory.getLogger(DashboardServer.class);
  private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
  private static final Map<String, String> STATIC = Map.of("/", "index.html", "/index.html", "index.html",
      "/app.js", "app.js", "/style.css", "style.css");

  /** What the edge serves, from the rest of the dashboard. */
  interface Hub {
    /** Whether this master leads now (only the leader serves the page). */
    boolean leading();

    /** The leader's dashboard, e.g. {@code https://10.0.0.2:7790}, or a sentence saying who leads. */
    Redirect whereIsTheLeader();

    /** The latest document as JSON (built now if there is none yet). */
    String latest() throws Exception;

    /** Registers a stream; it receives each new document's JSON until closed. */
    Subscription subscribe();

    /** Applies DRS recommendation {@code id}; a refusal is thrown with the leader's reason. */
    void apply(String id) throws Exception;
  }

  /** Either the leader's dashboard URL or, when it is not known, why. */
  record Redirect(Optional<String> url, String explanation) {}

  /** One event stream's feed. */
  interface Subscription extends AutoCloseable {
    /** The next document's JSON, or null if none came within {@code millis}. */
    String next(long millis) throws InterruptedException;

    @Override
    void close();
  }

  private final HttpsServer server;
  private final ExecutorService threads;
  private final DashboardTokens tokens;
  private final Hub hub;
  private final java.util.concurrent.atomic.AtomicInteger streams = new java.util.concurrent.atomic.AtomicInteger();

  DashboardServer(TlsFiles tls, String address, int port, DashboardTokens tokens, Hub hub) throws IOException {
    this.tokens = tokens;
    this.hub = hub;
    SSLContext context = JdkTls.context(tls);
    threads = io.roam.common.concurrent.BoundedPools.of("dashboard-http", THREADS);
    io.roam.common.security.HttpServerLimits.install(); // a stalled client is cut, not kept
    try {
      server = HttpsServer.create(new InetSocketAddress(address, port), 50);
      server.setHttpsConfigurator(new HttpsConfigurator(context) {
        @Override
        public void configure(HttpsParameters params) {
          SSLParameters p = getSSLContext().getDefaultSSLParameters();
          p.setWantClientAuth(true); // a certificate is welcome, a login cookie does as well
          params.setSSLParameters(p);
        }
      });
      server.setExecutor(threads);
      server.createContext("/", this::handle);
      server.start();
    } catch (IOException | RuntimeException e) {
      threads.shutdownNow();
      throw new IOException("cannot serve the dashboard on " + address + ":" + port + ": " + e.getMessage(), e);
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      ex.getResponseHeaders().set("Content-Security-Policy", CSP);
      ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
      ex.getResponseHeaders().set("Strict-Transport-Security", "max-age=31536000");
      if (!hub.leading()) {
        redirectToLeader(ex);
        return;
      }
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      if (method.equals("GET") && path.equals("/") && query(ex, "login") != null) {
        login(ex, query(ex, "login"));
      } else if (method.equals("GET") && STATIC.containsKey(path)) {
        if (path.equals("/") || path.equals("/index.html")) {
          Optional<PeerIdentity> who = caller(ex);
          if (who.isEmpty()) {
            text(ex, 401, "Not logged in. Run `roamctl dashboard` and open the link it prints (or use a client"
                + " certificate of the cluster CA).\n");
            return;
          }
        }
        serveStatic(ex, STATIC.get(path));
      } else if (path.startsWith("/api/")) {
        api(ex, path, method);
      } else {
        text(ex, 404, "no such page\n");
      }
    } catch (IOException e) {
      LOG.debug("dashboard request: {}", e.toString()); // the browser went away
    } catch (RuntimeException e) {
      LOG.warn("dashboard request {} failed", ex.getRequestURI().getPath(), e);
    }
  }

  private void api(HttpExchange ex, String path, String method) throws IOException {
    Optional<PeerIdentity> who = caller(ex);
    if (who.isEmpty()) {
      json(ex, 401, "{\"error\":\"not logged in: run roamctl dashboard\"}");
      return;
    }
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    switch (path) {
      case "/api/session" -> {
        if (!method.equals("GET")) {
          json(ex, 405, "{\"error\":\"GET only\"}");
          return;
        }
        json(ex, 200, new String(io.roam.common.Json.write(Map.of("name", who.get().name(), "role",
            who.get().role().label(), "canApply", who.get().role().allows(Role.OPERATOR))), StandardCharsets.UTF_8));
      }
      case "/api/snapshot" -> {
        try {
          json(ex, 200, hub.latest());
        } catch (Exception e) {
          json(ex, 503, error("cannot read the cluster: " + e.getMessage()));
        }
      }
      case "/api/stream" -> stream(ex);
      case "/api/apply" -> apply(ex, method, who.get());
      default -> json(ex, 404, "{\"error\":\"no such API\"}");
    }
  }

  /** POST /api/apply?id=ID with the action header, operator or above. */
  private void apply(HttpExchange ex, String method, PeerIdentity who) throws IOException {
    if (!method.equals("POST")) {
      ex.getResponseHeaders().set("Allow", "POST");
      json(ex, 405, "{\"error\":\"POST only\"}");
      return;
    }
    if (!"apply".equals(ex.getRequestHeaders().getFirst(ACTION_HEADER)) || !sameOrigin(ex)) {
      json(ex, 403, error("refused: not sent by the dashboard page (header " + ACTION_HEADER + " missing or"
          + " another origin)"));
      return;
    }
    if (!who.role().allows(Role.OPERATOR)) {
      json(ex, 403, error("refused: applying a recommendation needs role operator or above; " + who.name()
          + " is " + who.role().label()));
      return;
    }
    String id = query(ex, "id");
    if (id == null || id.isBlank()) {
      json(ex, 400, error("name the recommendation: ?id=ID"));
      return;
    }
    try {
      hub.apply(id);
      LOG.info("dashboard: {} applied DRS recommendation {}", who, id);
      json(ex, 200, "{\"applied\":" + quote(id) + "}");
    } catch (StatusRuntimeException e) {
      json(ex, 409, error(e.getStatus().getDescription() == null ? e.getStatus().getCode().toString()
          : e.getStatus().getDescription()));
    } catch (Exception e) {
      json(ex, 503, error(e.getMessage()));
    }
  }

  /** An Origin header, when the browser sends one, must be this server. */
  private static boolean sameOrigin(HttpExchange ex) {
    String origin = ex.getRequestHeaders().getFirst("Origin");
    String host = ex.getRequestHeaders().getFirst("Host");
    return origin == null || (host != null && origin.equals("https://" + host));
  }

  /** Server-Sent Events: a document each time one is built that differs from the last. */
  private void stream(HttpExchange ex) throws IOException {
    if (streams.incrementAndGet() > MAX_STREAMS) {
      streams.decrementAndGet();
      json(ex, 503, error("too many dashboards open on this master (" + MAX_STREAMS + ")"));
      return;
    }
    try (Subscription sub = hub.subscribe()) {
      ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      String first = hub.latest();
      out.write(("data: " + first + "\n\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (hub.leading()) {
        String next = sub.next(15_000);
        // A comment line every 15 s when nothing changed: a closed browser is noticed by the write.
        out.write((next == null ? ": keep-alive\n\n" : "data: " + next + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.debug("dashboard stream closed: {}", e.toString());
    } catch (Exception e) {
      LOG.debug("dashboard stream: {}", e.toString());
    } finally {
      streams.decrementAndGet();
    }
  }

  /** ?login=TOKEN: once, trade it for a session cookie and go to the page (the token leaves the address bar). */
  private void login(HttpExchange ex, String token) throws IOException {
    Optional<PeerIdentity> who = tokens.redeemLogin(token);
    if (who.isEmpty()) {
      text(ex, 401, "This login link was used already, has expired, or is not from this master. Run `roamctl"
          + " dashboard` again.\n");
      return;
    }
    DashboardTokens.Issued session = tokens.newSession(who.get());
    ex.getResponseHeaders().add("Set-Cookie", COOKIE + "=" + session.token() + "; Path=/; Max-Age="
        + DashboardTokens.SESSION_TTL.toSeconds() + "; HttpOnly; Secure; SameSite=Strict");
    ex.getResponseHeaders().set("Location", "/");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    LOG.info("dashboard: {} logged in", who.get());
    ex.sendResponseHeaders(303, -1);
  }

  private void redirectToLeader(HttpExchange ex) throws IOException {
    Redirect r = hub.whereIsTheLeader();
    if (r.url().isPresent()) {
      String q = ex.getRequestURI().getRawQuery();
      ex.getResponseHeaders().set("Location", r.url().get() + ex.getRequestURI().getRawPath() + (q == null ? "" : "?" + q));
      ex.sendResponseHeaders(302, -1);
    } else {
      text(ex, 503, "This master is a standby. " + r.explanation() + "\n");
    }
  }

  /** A client certificate of the cluster CA with a role that may read, else a valid session cookie. */
  private Optional<PeerIdentity> caller(HttpExchange ex) {
    if (ex instanceof HttpsExchange https) {
      Optional<PeerIdentity> cert = PeerIdentity.of(https.getSSLSession());
      if (cert.isPresent() && cert.get().role().allows(Role.VIEWER)) {
        return cert;
      }
    }
    for (String header : ex.getRequestHeaders().getOrDefault("Cookie", java.util.List.of())) {
      for (String part : header.split(";")) {
        String p = part.trim();
        if (p.startsWith(COOKIE + "=")) {
          Optional<PeerIdentity> s = tokens.sessionOf(p.substring(COOKIE.length() + 1));
          if (s.isPresent()) {
            return s;
          }
        }
      }
    }
    return Optional.empty();
  }

  private static String query(HttpExchange ex, String name) {
    String q = ex.getRequestURI().getRawQuery();
    if (q == null) {
      return null;
    }
    for (String kv : q.split("&")) {
      int eq = kv.indexOf('=');
      if (eq > 0 && kv.substring(0, eq).equals(name)) {
        return URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static void serveStatic(HttpExchange ex, String file) throws IOException {
    try (InputStream in = DashboardServer.class.getResourceAsStream(file)) {
      if (in == null) {
        text(ex, 500, "the master jar lacks " + file + "\n");
        return;
      }
      byte[] body = in.readAllBytes();
      String type = file.endsWith(".js") ? "text/javascript" : file.endsWith(".css") ? "text/css" : "text/html";
      ex.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
      ex.getResponseHeaders().set("Cache-Control", "no-cache");
      send(ex, 200, body);
    }
  }

  private static String error(String message) {
    return "{\"error\":" + quote(message) + "}";
  }

  private static String quote(String s) {
    return new String(io.roam.common.Json.write(s == null ? "" : s), StandardCharsets.UTF_8);
  }

  private static void json(HttpExchange ex, int status, String body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    send(ex, status, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void text(HttpExchange ex, int status, String body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    send(ex, status, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
