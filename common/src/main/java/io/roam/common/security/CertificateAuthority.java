package io.roam.common.security;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster's own certificate authority: a directory holding {@code ca.crt} (public, given to
 * every daemon and user) and {@code ca.key} (0600, kept by whoever issues certificates).
 *
 * <p>Every certificate it issues names one peer: subject {@code CN=<name>, OU=<role>, O=Roam}, the
 * host names and addresses it serves as subject alternative names (TLS clients check them), and
 * both server and client use, because daemons are both (an agent serves AgentService and calls the
 * master). Keys are ECDSA P-256: small, and the fastest handshakes the JDK offers.
 *
 * <p>Not thread-safe; used by one command at a time.
 */
public final class CertificateAuthority {
  public static final String CA_CERT = "ca.crt";
  public static final String CA_KEY = "ca.key";
  /** Names of peers: what host and user names look like, and safe as file names. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  private static final Duration CA_VALIDITY = Duration.ofDays(3650);
  public static final Duration DEFAULT_VALIDITY = Duration.ofDays(825);

  private final X509Certificate caCert;
  private final PrivateKey caKey;

  private CertificateAuthority(X509Certificate caCert, PrivateKey caKey) {
    this.caCert = caCert;
    this.caKey = caKey;
  }

  /** What {@link #issue} wrote: the certificate, its key and the CA certificate to trust. */
  public record Issued(Path cert, Path key, Path ca, X509Certificate certificate) {}

  /**
   * Creates a new CA in {@code dir}. Refuses to overwrite one: replacing a CA silently would cut
   * every daemon off from every other.
   */
  public static CertificateAuthority init(Path dir, String clusterName) throws IOException {
    Path certFile = dir.resolve(CA_CERT);
    Path keyFile = dir.resolve(CA_KEY);
    if (Files.exists(certFile) || Files.exists(keyFile)) {
      throw new IOException(dir + " already holds a CA (" + CA_CERT + "); remove it first to make a new one");
    }
    checkName(clusterName);
    try {
      KeyPair pair = newKeyPair();
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Roam")
          .addRDN(BCStyle.CN, "Roam CA " + clusterName).build();
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(CA_VALIDITY)), subject, pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate cert = sign(b, pair.getPrivate());
      Pem.writePrivate(keyFile, Pem.encode(pair.getPrivate()));
      Pem.writePublic(certFile, Pem.encode(cert));
      return new CertificateAuthority(cert, pair.getPrivate());
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot create the CA: " + e.getMessage(), e);
    }
  }

  /** Loads the CA in {@code dir}; its key must be readable by its owner only. */
  public static CertificateAuthority load(Path dir) throws IOException {
    Path keyFile = dir.resolve(CA_KEY);
    if (!Files.exists(keyFile)) {
      throw new IOException("no CA in " + dir + " (run `roamctl pki init " + dir + "` first)");
    }
    FileModes.requireOwnerOnly(keyFile);
    return new CertificateAuthority(Pem.readCertificates(dir.resolve(CA_CERT)).get(0), Pem.readPrivateKey(keyFile));
  }

  public X509Certificate certificate() {
    return caCert;
  }

  /**
   * Issues a certificate for one peer and writes {@code NAME.crt}, {@code NAME.key} (0600) and a copy
   * of {@code ca.crt} into {@code outDir}.
   *
   * @param sans host names and IP addresses the peer serves at (clients check them); may be empty
   *     for users
   */
  public Issued issue(Role role, String name, List<String> sans, Duration validity, Path outDir) throws IOException {
    checkName(name);
    try {
      KeyPair pair = newKeyPair();
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Roam")
          .addRDN(BCStyle.OU, role.label()).addRDN(BCStyle.CN, name).build();
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caCert, serial(),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), subject, pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
      if (!sans.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, generalNames(sans));
      }
      X509Certificate cert = sign(b, caKey);
      Path certFile = outDir.resolve(name + ".crt");
      Path keyFile = outDir.resolve(name + ".key");
      Path caFile = outDir.resolve(CA_CERT);
      Pem.writePrivate(keyFile, Pem.encode(pair.getPrivate()));
      Pem.writePublic(certFile, Pem.encode(cert));
      if (!Files.exists(caFile)) {
        Pem.writePublic(caFile, Pem.encode(caCert));
      }
      return new Issued(certFile, keyFile, caFile, cert);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot issue a certificate for " + name + ": " + e.getMessage(), e);
    }
  }

  private static GeneralNames generalNames(List<String> sans) throws CertIOException {
    List<GeneralName> names = new ArrayList<>();
    for (String san : sans) {
      names.add(isIpAddress(san) ? new GeneralName(GeneralName.iPAddress, san) : new GeneralName(GeneralName.dNSName, san));
    }
    return new GeneralNames(names.toArray(GeneralName[]::new));
  }

  /** A literal IPv4 or IPv6 address (never a name lookup: SANs must say what the operator typed). */
  static boolean isIpAddress(String s) {
    if (s.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (s.contains(":") && s.matches("[0-9A-Fa-f:.]+"))) {
      try {
        InetAddress.getByName(s);
        return true;
      } catch (IOException e) {
        return false;
      }
    }
    return false;
  }

  public static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid name '" + name + "': 1-63 letters, digits, '.', '_' or '-',"
          + " starting with a letter or digit");
    }
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(127, new SecureRandom()).add(BigInteger.ONE);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
  }

  /** The public key of the CA, for tests that check a chain. */
  public PublicKey publicKey() {
    return caCert.getPublicKey();
  }
}
