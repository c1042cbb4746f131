package io.roam.master.zk;

import io.roam.common.security.PkiDirectory;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import io.roam.common.zk.ZkTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.curator.RetryPolicy;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;

/**
 * One cluster CA for the whole test JVM, in a temporary directory removed at exit, and the
 * certificates tests need from it: masters (with 127.0.0.1 as a subject alternative name, so that
 * they can serve the embedded ZooKeeper to clients that verify host names) and agents. Tests share
 * it because the embedded ZooKeeper's server TLS settings are JVM-wide. Thread-safe.
 */
public final class TestPki {
  private static TestPki instance;

  private final PkiDirectory pki;

  private TestPki() throws IOException {
    Path dir = Files.createTempDirectory("roam-test-pki");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
    pki = PkiDirectory.open(dir, "test");
  }

  public static synchronized TestPki get() {
    if (instance == null) {
      try {
        instance = new TestPki();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return instance;
  }

  /** A certificate of this CA for {@code role} {@code name}, valid for 127.0.0.1 and localhost. */
  public TlsFiles tls(Role role, String name) {
    try {
      return pki.peer(role, name, List.of("127.0.0.1", "localhost"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public TlsFiles master() {
    return tls(Role.MASTER, "test-master");
  }

  /** An embedded ZooKeeper on a free port of 127.0.0.1, serving TLS with the test master's certificate. */
  public EmbeddedZooKeeper server(Path dataDir) throws IOException, InterruptedException {
    return new EmbeddedZooKeeper("127.0.0.1", 0, dataDir, master());
  }

  /** A ZooKeeper client (not started) with the test master's identity. */
  public CuratorFramework client(String connect, RetryPolicy retry) {
    return client(connect, retry, master());
  }

  /** A ZooKeeper client (not started) with the identity of {@code tls}. */
  public CuratorFramework client(String connect, RetryPolicy retry, TlsFiles tls) {
    try {
      return ZkTls.secure(CuratorFrameworkFactory.builder(), tls).connectString(connect).retryPolicy(retry).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Command-line options giving a master or agent process the certificate of {@code tls}. */
  public static List<String> options(TlsFiles tls) {
    return new ArrayList<>(PkiDirectory.daemonFlags(tls));
  }

  private static void deleteQuietly(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: nothing to do
    }
  }
}
