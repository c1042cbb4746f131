package io.roam.common.security;

/**
 * A limit for the JDK's built-in HTTPS server (com.sun.net.httpserver), which serves the metrics
 * endpoints and the dashboard with a few threads: a client that connects and then sends its TLS
 * handshake or its request slowly, or not at all, holds one of those threads until the server cuts
 * it, and a handful of such clients would stop every scrape and page. The JDK reads the limit once,
 * from the system property {@value #MAX_REQUEST_SECONDS_PROPERTY}, when it creates its first
 * server; {@link #install} sets it unless the operator did ({@code -Dsun.net.httpserver.maxReqTime=N}
 * in ROAM_JAVA_OPTS). Only the request is bounded: a response may last (the dashboard's event
 * stream is one). Thread-safe.
 */
public final class HttpServerLimits {
  public static final String MAX_REQUEST_SECONDS_PROPERTY = "sun.net.httpserver.maxReqTime";
  /** Seconds from accepting a connection to having its whole request (handshake included). */
  public static final long MAX_REQUEST_SECONDS = 10;

  private HttpServerLimits() {}

  /** Call before creating any server in this process (later servers share the first one's limit). */
  public static void install() {
    synchronized (HttpServerLimits.class) {
      if (System.getProperty(MAX_REQUEST_SECONDS_PROPERTY) == null) {
        System.setProperty(MAX_REQUEST_SECONDS_PROPERTY, Long.toString(MAX_REQUEST_SECONDS));
      }
    }
  }
}
