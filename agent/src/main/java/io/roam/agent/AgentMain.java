package io.roam.agent;

import io.roam.common.config.Config;
import io.roam.common.config.ConfigException;
import io.roam.common.config.RoamKeys;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/** {@code roam-agent [--config FILE] [options]}: see {@code --help}. Exit code 2 on bad configuration. */
public final class AgentMain {
  private AgentMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.print(Config.usage("roam-agent", RoamKeys.AGENT));
      return;
    }
    if (Arrays.asList(args).contains("--version")) {
      System.out.println(io.roam.common.BuildInfo.versionLine("roam-agent", AgentMain.class));
      return;
    }
    Agent agent;
    try {
      Config config = Config.load(RoamKeys.AGENT, args, System.getenv(), Path.of("conf/roam.yaml"));
      config.logEffective("roam-agent " + io.roam.common.BuildInfo.version(AgentMain.class));
      agent = new Agent(config);
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("roam-agent: " + e.getMessage());
      System.exit(2);
      return;
    } catch (Exception | Error e) {
      System.err.println("roam-agent: cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      agent.close();
      done.countDown();
    }, "shutdown"));
    done.await();
  }
}
