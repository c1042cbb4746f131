package io.roam.it;

import io.roam.master.zk.EmbeddedZooKeeper;
import java.nio.file.Path;

/**
 * A ZooKeeper server in its own process, for tests whose masters must be killable:
 * {@code PORT DIR CA CERT KEY}, serving TLS with that certificate like a master's embedded server.
 */
public final class ZkServerMain {
  private ZkServerMain() {}

  public static void main(String[] args) throws Exception {
    EmbeddedZooKeeper zk = new EmbeddedZooKeeper("127.0.0.1", Integer.parseInt(args[0]), Path.of(args[1]),
        io.roam.common.security.TlsFiles.of(Path.of(args[2]), Path.of(args[3]), Path.of(args[4])));
    Runtime.getRuntime().addShutdownHook(new Thread(zk::close));
    Thread.currentThread().join();
  }
}
