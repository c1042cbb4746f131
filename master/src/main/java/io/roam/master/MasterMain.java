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
    if (Arrays.asList(args).contains("--version")) {
      System.out.println(io.roam.common.BuildInfo.versionLine("roam-master", MasterMain.class));
      return;
    }
    Master master;
    try {
      Config config = Config.load(RoamKeys.MASTER, args, System.getenv(), Path.of("conf/roam.yaml"));
      config.logEffective("roam-master " + io.roam.common.BuildInfo.version(MasterMain.class));
      master = new Master(config);
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
