package io.roam.master;

import io.roam.common.config.Config;
import io.roam.common.config.ConfigException;
import io.roam.common.config.RoamKeys;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/** {@code roam-master [--config FILE] [options]}: see {@code --help}. Exit code 2 on bad configuration. */
public final class MasterMain {
  private MasterMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.print(Config.usage("roam-master", RoamKeys.MASTER));
      return;
    }
    Master master;
    try {
      master = new Master(Config.load(RoamKeys.MASTER, args, System.getenv(), Path.of("conf/roam.yaml")));
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("roam-master: " + e.getMessage());
      System.exit(2);
      return;
    } catch (Exception | Error e) {
      System.err.println("roam-master: cannot start: " + e);
      System.exit(1);
      return;
    }
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      master.close();
      done.countDown();
    }, "shutdown"));
    done.await();
  }
}
