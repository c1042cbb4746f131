package io.roam.agent.migration;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.roam.common.security.PeerIdentity;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * The data plane's mutual TLS: this agent's certificate and key, the cluster CA it trusts, the
 * encryption setting, and the bounds that keep a hostile or silent peer from holding a connection
 * (the TLS handshake's timeout, and the time from accept to a valid HELLO).
 *
 * <p>TLS 1.3 only (both ends are Roam agents) with AES-GCM suites, by OpenSSL (BoringSSL, through
 * netty-tcnative) when it loads, else the JDK. Both ends present certificates; the destination
 * requires the source's. Names are checked by {@link #agentNamed} against the host the migration
 * is between, not by address: certificates name hosts, addresses can be borrowed.
 *
 * <p>Immutable and thread-safe; the SSL contexts are shared by all connections.
 */
public final class DataPlaneSecurity {
  static final List<String> CIPHERS = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384");
  static final String PROTOCOL = "TLSv1.3";
  static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
  static final Duration DEFAULT_HELLO_TIMEOUT = Duration.ofSeconds(10);
  /**
   * Plaintext bytes the source's TLS handler takes from its write queue per wrap: at least a whole
   * page frame (its length prefix included), so that a frame is taken whole, never merged with a
   * neighbour (which copies), and is encrypted into one buffer of records and written once, not
   * record by record (Netty's default, 16 KiB, made a buffer, a write and a queue entry per record).
   */
  static final int WRAP_BYTES = 4 + Frames.MAX_FRAME;

  private final SslContext server;
  private final SslContext client;
  private final MigrationEncryption encryption;
  private final Duration handshakeTimeout;
  private final Duration helloTimeout;
  private final SslProvider provider;

  private DataPlaneSecurity(SslContext server, SslContext client, MigrationEncryption encryption, Duration handshakeTimeout,
      Duration helloTimeout) {
    this.provider = server instanceof io.netty.handler.ssl.JdkSslContext ? SslProvider.JDK : SslProvider.OPENSSL;
    this.server = server;
    this.client = client;
    this.encryption = encryption;
    this.handshakeTimeout = handshakeTimeout;
    this.helloTimeout = helloTimeout;
  }

  /** From this agent's TLS files (already checked by {@link TlsFiles#of}). */
  public static DataPlaneSecurity of(TlsFiles files, MigrationEncryption encryption) throws IOException {
    SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    try {
      SslContext server = SslContextBuilder.forServer(files.cert().toFile(), files.key().toFile())
          .trustManager(files.ca().toFile()).clientAuth(ClientAuth.REQUIRE).sslProvider(provider)
          .protocols(PROTOCOL).ciphers(CIPHERS).build();
      SslContext client = SslContextBuilder.forClient().keyManager(files.cert().toFile(), files.key().toFile())
          .trustManager(files.ca().toFile()).sslProvider(provider).protocols(PROTOCOL).ciphers(CIPHERS).build();
      return new DataPlaneSecurity(server, client, encryption, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_HELLO_TIMEOUT);
    } catch (SSLException e) {
      throw new IOException("cannot set up the migration data plane's TLS: " + e.getMessage(), e);
    }
  }

  /** The same material with other bounds (tests shorten them). */
  public DataPlaneSecurity withTimeouts(Duration handshake, Duration hello) {
    return new DataPlaneSecurity(server, client, encryption, handshake, hello);
  }

  /** The same material with another encryption setting. */
  public DataPlaneSecurity withEncryption(MigrationEncryption e) {
    return new DataPlaneSecurity(server, client, e, handshakeTimeout, helloTimeout);
  }

  public MigrationEncryption encryption() {
    return encryption;
  }

  Duration helloTimeout() {
    return helloTimeout;
  }

  /**
   * A new server-side handler. With encryption off, the engine is in JDK-compatible mode (one TLS
   * record per unwrap), so that when the handler is removed after a record, the bytes behind it are
   * passed on untouched (the switch to plaintext relies on it). With encryption on this side the
   * handler is never removed, so it gets the engine that unwraps every whole record of a read at
   * once: one record per unwrap made a 1 MiB page frame take 64 unwrap calls, and TLS cost three
   * quarters of the copy rate instead of a fraction.
   */
  SslHandler newServerHandler(ByteBufAllocator alloc) {
    SslHandler h = encryption == MigrationEncryption.OFF ? new SslHandler(server.newEngine(alloc))
        : server.newHandler(alloc);
    h.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
    return h;
  }

  /**
   * A new client-side handler for a connection to host:port; see {@link #newServerHandler}. The
   * client is the source, which sends the pages: its handler encrypts a frame at a time ({@link
   * #WRAP_BYTES}).
   */
  SslHandler newClientHandler(ByteBufAllocator alloc, String host, int port) {
    SslHandler h = encryption == MigrationEncryption.OFF ? new SslHandler(client.newEngine(alloc, host, port))
        : client.newHandler(alloc, host, port);
    h.setWrapDataSize(WRAP_BYTES);
    h.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
    return h;
  }

  /**
   * Null when the handshake's peer is the agent of host {@code name}, else why not, in words
   * (a user's or master's certificate, another host's, none).
   */
  static String agentNamed(SslHandler tls, String name) {
    Optional<PeerIdentity> peer = PeerIdentity.of(tls.engine().getSession());
    if (peer.isEmpty()) {
      return "the peer presented no Roam certificate";
    }
    if (peer.get().role() != Role.AGENT || !peer.get().name().equals(name)) {
      return "the peer's certificate names " + peer.get() + ", not agent " + name;
    }
    return null;
  }

  /** Which TLS implementation the contexts use (for logs and the benchmark). */
  public String provider() {
    return provider == SslProvider.OPENSSL ? OpenSsl.versionString() : "JDK " + System.getProperty("java.version");
  }
}
