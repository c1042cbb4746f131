package io.roam.bench;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.roam.common.security.TlsFiles;
import java.nio.ByteBuffer;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;

/**
 * What TLS itself costs per byte in this process: the data plane's TLS (BoringSSL through
 * netty-tcnative, TLS 1.3, AES-128-GCM) encrypting and decrypting 16 KiB records in memory through
 * the same SSLEngine the data plane uses, with direct buffers: the cipher and the engine's own
 * copies, nothing else. {@code openssl speed} measures the system's OpenSSL, which is not what the
 * data plane runs. Single-threaded; not thread-safe.
 */
final class BoringSslCipherCost {
  /** Nanoseconds per plaintext byte to seal (wrap) and to open (unwrap) one record. */
  record Cost(double wrapNanosPerByte, double unwrapNanosPerByte, String provider) {
    double both() {
      return wrapNanosPerByte + unwrapNanosPerByte;
    }
  }

  private static final int RECORD = 16 * 1024;

  private BoringSslCipherCost() {}

  /** Measures for about {@code millis} (after a warm-up); null when OpenSSL (BoringSSL) does not load. */
  static Cost measure(TlsFiles files, long millis) throws Exception {
    if (!OpenSsl.isAvailable()) {
      return null;
    }
    List<String> suite = List.of("TLS_AES_128_GCM_SHA256");
    SslContext server = SslContextBuilder.forServer(files.cert().toFile(), files.key().toFile())
        .trustManager(files.ca().toFile()).clientAuth(ClientAuth.REQUIRE).sslProvider(SslProvider.OPENSSL)
        .protocols("TLSv1.3").ciphers(suite).build();
    SslContext client = SslContextBuilder.forClient().keyManager(files.cert().toFile(), files.key().toFile())
        .trustManager(files.ca().toFile()).sslProvider(SslProvider.OPENSSL).protocols("TLSv1.3").ciphers(suite).build();
    SSLEngine s = server.newEngine(ByteBufAllocator.DEFAULT);
    SSLEngine c = client.newEngine(ByteBufAllocator.DEFAULT, "127.0.0.1", 1);
    try {
      handshake(c, s);
      ByteBuffer plain = ByteBuffer.allocateDirect(RECORD);
      ByteBuffer record = ByteBuffer.allocateDirect(RECORD + 1024);
      ByteBuffer out = ByteBuffer.allocateDirect(RECORD + 1024);
      measure(c, s, plain, record, out, Math.max(200, millis / 4)); // warm-up
      double[] r = measure(c, s, plain, record, out, millis);
      return new Cost(r[0], r[1], OpenSsl.versionString() + " " + c.getSession().getCipherSuite());
    } finally {
      io.netty.util.ReferenceCountUtil.release(s);
      io.netty.util.ReferenceCountUtil.release(c);
    }
  }

  private static double[] measure(SSLEngine c, SSLEngine s, ByteBuffer plain, ByteBuffer record, ByteBuffer out,
      long millis) throws Exception {
    long wrap = 0;
    long unwrap = 0;
    long bytes = 0;
    long end = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < end) {
      plain.clear();
      record.clear();
      out.clear();
      long t0 = System.nanoTime();
      SSLEngineResult w = c.wrap(plain, record);
      long t1 = System.nanoTime();
      record.flip();
      SSLEngineResult u = s.unwrap(record, out);
      long t2 = System.nanoTime();
      if (w.bytesConsumed() != RECORD || u.bytesProduced() != RECORD) {
        throw new IllegalStateException("record of " + w.bytesConsumed() + " bytes sealed, " + u.bytesProduced() + " opened");
      }
      wrap += t1 - t0;
      unwrap += t2 - t1;
      bytes += RECORD;
    }
    return new double[] {(double) wrap / bytes, (double) unwrap / bytes};
  }

  /** Moves handshake bytes between the two engines in memory until both are done. */
  private static void handshake(SSLEngine c, SSLEngine s) throws Exception {
    ByteBuffer c2s = ByteBuffer.allocateDirect(1 << 16);
    ByteBuffer s2c = ByteBuffer.allocateDirect(1 << 16);
    ByteBuffer app = ByteBuffer.allocateDirect(1 << 16);
    ByteBuffer none = ByteBuffer.allocateDirect(0);
    c.beginHandshake();
    s.beginHandshake();
    for (int i = 0; i < 100 && (busy(c) || busy(s)); i++) {
      c.wrap(none, c2s);
      c2s.flip();
      s.unwrap(c2s, app);
      c2s.compact();
      tasks(s);
      s.wrap(none, s2c);
      s2c.flip();
      c.unwrap(s2c, app);
      s2c.compact();
      tasks(c);
      app.clear();
    }
    if (busy(c) || busy(s)) {
      throw new IllegalStateException("the in-memory TLS handshake did not finish");
    }
  }

  private static boolean busy(SSLEngine e) {
    SSLEngineResult.HandshakeStatus h = e.getHandshakeStatus();
    return h != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING && h != SSLEngineResult.HandshakeStatus.FINISHED;
  }

  private static void tasks(SSLEngine e) {
    for (Runnable t; (t = e.getDelegatedTask()) != null; ) {
      t.run();
    }
  }
}
