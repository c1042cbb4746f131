package io.roam.common.security;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A JDK {@link SSLContext} from a process's {@link TlsFiles}, for the servers and clients that are
 * not gRPC (the metrics endpoint and whoever scrapes it): it presents the process's certificate and
 * trusts only the cluster CA(s) in tls.ca. Whether a peer must present a certificate is the
 * caller's choice (SSLParameters#setNeedClientAuth). Stateless; the files are read on each call.
 */
public final class JdkTls {
  private JdkTls() {}

  public static SSLContext context(TlsFiles tls) throws IOException {
    try {
      List<X509Certificate> own = Pem.readCertificates(tls.cert());
      PrivateKey key = Pem.readPrivateKey(tls.key());
      char[] none = new char[0]; // an in-memory store: the key is protected by the file's 0600 mode
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("roam", key, none, own.toArray(new X509Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, none);
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      int i = 0;
      for (X509Certificate ca : Pem.readCertificates(tls.ca())) {
        trusted.setCertificateEntry("ca" + i++, ca);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trusted);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot build a TLS context from " + tls.cert() + " and " + tls.ca() + ": " + e.getMessage(), e);
    }
  }
}
