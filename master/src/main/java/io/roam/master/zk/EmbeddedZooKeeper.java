package io.roam.master.zk;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node ZooKeeper server inside the master process, so that one command runs a whole
 * cluster on one machine. Its data (snapshots and transaction log) survives restarts. Production
 * runs an ensemble and gives the master {@code --zk}.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedZooKeeper.class);
  private final ZooKeeperServer server;
  private final ServerCnxnFactory factory;

  public EmbeddedZooKeeper(String address, int port, Path dataDir) throws IOException, InterruptedException {
    Files.createDirectories(dataDir);
    File dir = dataDir.toFile();
    server = new ZooKeeperServer(dir, dir, 500);
    factory = ServerCnxnFactory.createFactory(new InetSocketAddress(address, port), 200);
    factory.startup(server);
    if (!server.isRunning()) {
      factory.shutdown();
      throw new IOException("embedded ZooKeeper did not start; see the log above");
    }
    LOG.info("embedded ZooKeeper serving on {}:{} with data in {}", address, factory.getLocalPort(), dataDir);
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
