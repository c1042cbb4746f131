package io.roam.common.zk;

import io.roam.common.security.TlsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.zookeeper.ClientCnxnSocketNetty;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ClientX509Util;
import org.apache.zookeeper.server.NettyServerCnxnFactory;
import org.apache.zookeeper.server.auth.ProviderRegistry;

/**
 * ZooKeeper over its own TLS, with a process's {@link TlsFiles}: the client settings every Roam
 * ZooKeeper client uses, and the server settings of the master's embedded server.
 *
 * <p>Client settings are per client ({@link ZKClientConfig}), never JVM-wide system properties, so
 * that a test can run clients of different identities in one JVM. The server side of ZooKeeper
 * reads its TLS settings from system properties only; {@link #configureServer} sets them, so one JVM
 * serves one embedded ZooKeeper's TLS material at a time (the latest configured).
 *
 * <p>ZooKeeper reads a PEM key store as one file holding both the private key and the certificate,
 * while Roam keeps them apart; {@link #keyStore} writes the pair to a private temporary file
 * (mode 0600, removed when the JVM exits).
 */
public final class ZkTls {
  private ZkTls() {}

  /**
   * Client settings: TLS over Netty, our certificate as the client certificate, the cluster CA as
   * the only trust, and host name verification of the server (see {@link #clientConfig}).
   */
  public static CuratorFrameworkFactory.Builder secure(CuratorFrameworkFactory.Builder builder, TlsFiles tls)
      throws IOException {
    return builder.zkClientConfig(clientConfig(tls)).aclProvider(new ZkAcls());
  }

  /**
   * Host name verification stays on: every certificate of the cluster CA is good TLS material, so
   * without it any agent (or anyone holding an agent's key) who can redirect traffic could pose as
   * the ZooKeeper server and feed masters a forged inventory. The server's certificate must
   * therefore name the address clients use in {@code zk} (the master's {@code master.address} for
   * the embedded server).
   */
  public static ZKClientConfig clientConfig(TlsFiles tls) throws IOException {
    ZKClientConfig c = new ZKClientConfig();
    c.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
    c.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, ClientCnxnSocketNetty.class.getName());
    c.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "false");
    try (ClientX509Util names = new ClientX509Util()) {
      c.setProperty(names.getSslKeystoreLocationProperty(), keyStore(tls).toString());
      c.setProperty(names.getSslKeystoreTypeProperty(), "PEM");
      c.setProperty(names.getSslTruststoreLocationProperty(), tls.ca().toString());
      c.setProperty(names.getSslTruststoreTypeProperty(), "PEM");
      c.setProperty(names.getSslHostnameVerificationEnabledProperty(), "true");
    }
    return c;
  }

  /**
   * Server settings of ZooKeeper's Netty TLS port (JVM-wide, see the class comment): our certificate
   * and key, the cluster CA as the only trust, client certificates required and authenticated by
   * {@link RoamZkAuthenticationProvider}. Client host names are not checked against client
   * certificates: agents connect from addresses (NAT, several interfaces) their certificate need not
   * list, and the certificate's role and name, not its address, decide what a client may do.
   */
  public static void configureServer(TlsFiles tls) throws IOException {
    System.setProperty("zookeeper.serverCnxnFactory", NettyServerCnxnFactory.class.getName());
    try (ClientX509Util names = new ClientX509Util()) {
      System.setProperty(names.getSslKeystoreLocationProperty(), keyStore(tls).toString());
      System.setProperty(names.getSslKeystoreTypeProperty(), "PEM");
      System.setProperty(names.getSslTruststoreLocationProperty(), tls.ca().toString());
      System.setProperty(names.getSslTruststoreTypeProperty(), "PEM");
      System.setProperty(names.getSslClientAuthProperty(), "need");
      System.setProperty(names.getSslClientHostnameVerificationEnabledProperty(), "false");
      System.setProperty(names.getSslAuthProviderProperty(), RoamZkAuthenticationProvider.SCHEME);
    }
    String key = ProviderRegistry.AUTHPROVIDER_PROPERTY_PREFIX + RoamZkAuthenticationProvider.SCHEME;
    System.setProperty(key, RoamZkAuthenticationProvider.class.getName());
    // (Re)creates the provider, which reads the stores just set: a JVM that starts a second
    // embedded server (tests) must not keep the first one's trust.
    ProviderRegistry.addOrUpdateProvider(key);
    String paths = ProviderRegistry.AUTHPROVIDER_PROPERTY_PREFIX + RoamZkPathProvider.SCHEME;
    System.setProperty(paths, RoamZkPathProvider.class.getName());
    ProviderRegistry.addOrUpdateProvider(paths);
    String owners = ProviderRegistry.AUTHPROVIDER_PROPERTY_PREFIX + RoamZkOwnerProvider.SCHEME;
    System.setProperty(owners, RoamZkOwnerProvider.class.getName());
    ProviderRegistry.addOrUpdateProvider(owners);
  }

  /** The private key and certificate of {@code tls} in one PEM file, as ZooKeeper's PEM key store wants. */
  static Path keyStore(TlsFiles tls) throws IOException {
    Path file = Files.createTempFile("roam-zk-", ".pem",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    file.toFile().deleteOnExit();
    String key = Files.readString(tls.key());
    String cert = Files.readString(tls.cert());
    Files.writeString(file, key + (key.endsWith("\n") ? "" : "\n") + cert);
    return file;
  }
}
