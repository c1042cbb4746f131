package io.roam.common.zk;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;

/**
 * The session timeout a ZooKeeper server granted, read once a session is really established.
 *
 * <p>A client that connects while the ensemble is slow (TLS handshakes of a whole cluster starting
 * at once) can see its first session expire right after {@code blockUntilConnected} returned:
 * Curator then opens a new handle, which reports a timeout of 0 until its session is granted.
 * Judging that 0 against the lease made a master stop with a "configuration error" that was only
 * a slow start (seen in the compose cluster); so a 0 means "not yet", and the read waits.
 */
public final class GrantedSession {
  private GrantedSession() {}

  /**
   * Waits, at most {@code within}, for a connected session and returns the timeout the server granted it.
   *
   * @throws IllegalStateException when no session is granted in time
   */
  public static int timeoutMs(CuratorFramework zk, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !zk.blockUntilConnected((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)),
          TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("no ZooKeeper session was granted within " + within.toSeconds() + " s");
      }
      int granted;
      try {
        granted = zk.getZookeeperClient().getZooKeeper().getSessionTimeout();
      } catch (Exception e) {
        granted = 0; // the handle is being replaced: not yet
      }
      if (granted > 0) {
        return granted;
      }
      Thread.sleep(50);
    }
  }
}
