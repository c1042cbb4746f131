package io.roam.master.zk;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import io.roam.common.security.TlsFiles;
import io.roam.common.zk.ZkTls;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node ZooKeeper server inside the master process, so that one command runs a whole
 * cluster on one machine. Its data (snapshots and transaction log) survives restarts. Production
 * runs an ensemble and gives the master {@code --zk}.
 *
 * <p>It serves TLS only (ZooKeeper's Netty server on a secure port, no plaintext port), presents the
 * master's own certificate, requires a client certificate from the cluster CA and authenticates it
 * as a Roam master or agent ({@link ZkTls#configureServer}; ZooKeeper's server TLS settings are
 * JVM-wide, so one embedded server per JVM).
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedZooKeeper.class);
  static final int TICK_MS = 250;
  static final int MAX_SESSION_TIMEOUT_MS = 60_000;
  private final ZooKeeperServer server;
  private final ServerCnxnFactory factory;

  public EmbeddedZooKeeper(String address, int port, Path dataDir, TlsFiles tls) throws IOException, InterruptedException {
    Files.createDirectories(dataDir);
    File dir = dataDir.toFile();
    ZkTls.configureServer(tls);
    // A 250 ms tick: sessions expire within a tick of their timeout, and the shortest session the
    // server grants (2 ticks) is well under the default 1.5 s. The longest stays 60 s, not 20 ticks.
    server = new ZooKeeperServer(dir, dir, TICK_MS);
    server.setMaxSessionTimeout(MAX_SESSION_TIMEOUT_MS);
    factory = ServerCnxnFactory.createFactory();
    factory.configure(new InetSocketAddress(address, port), 200, -1, true);
    factory.startup(server);
    if (!server.isRunning()) {
      factory.shutdown();
      throw new IOException("embedded ZooKeeper did not start; see the log above");
    }
    LOG.info("embedded ZooKeeper serving TLS on {}:{} with data in {}", address, factory.getLocalPort(), dataDir);
  }

  public int port() {
    return factory.getLocalPort();
  }

  @Override
  public void close() {
    factory.shutdown();
    server.shutdown();
  }
}
