package io.roam.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.roam.common.security.Role;
import io.roam.master.cli.Roamctl;
import io.roam.proto.ClusterServiceGrpc;
import io.roam.proto.WatchEvent;
import io.roam.proto.WatchEventsRequest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WatchEvents and the commands that follow it ({@code events -f}, {@code ls -w}) against real
 * masters, agents and ZooKeeper: changes arrive pushed and in order, and a client that reconnects
 * to another master after a leader change resumes where it was.
 */
class WatchTest {
  @TempDir Path dir;

  @Test
  void aWatchSeesAMigrationsStatesInOrder() throws Exception {
    try (LocalCluster c = LocalCluster.start(dir, 2)) {
      LocalCluster.ok(c.ctl("vm", "create", "web", "--program", "idle", "--memory", "64MiB", "--host", "host1", "--start"));
      ManagedChannel channel = LocalCluster.channel(c.masterAddresses(), c.user(Role.VIEWER, "vera"));
      Background ls = new Background(c, "migration", "ls", "-w");
      Background vms = new Background(c, "vm", "ls", "-w");
      try {
        Watch watch = Watch.open(channel, null);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          assertThat(watch.has("synced")).as("synced in %s", watch.received).isTrue();
          assertThat(ls.out()).startsWith("ID");
          assertThat(vms.out()).startsWith("NAME");
        });

        // A capped rate makes the copy last seconds: long enough for its start to be seen before its end.
        LocalCluster.ok(c.ctl("vm", "migrate", "web", "--to", "host2", "--max-bandwidth", "8MiB/s", "--wait"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          assertThat(watch.indexOfEvent("migration.completed")).as("in %s", watch.received).isNotNegative();
          assertThat(ls.out()).contains(" completed ");
        });

        int started = watch.indexOfEvent("migration.started");
        int owner = watch.indexOf(e -> e.getType().equals("put") && e.getName().equals("web") && e.getNode().equals("owner")
            && e.getData().contains("\"host2\""));
        int completed = watch.indexOfEvent("migration.completed");
        assertThat(started).as("migration.started in %s", watch.received).isNotNegative();
        assertThat(owner).as("the owner record moves after the migration started").isGreaterThan(started);
        assertThat(completed).as("the migration completes after the owner record moved").isGreaterThan(owner);

        // roamctl migration ls -w: the table (empty), then the migration's row each time its state changed.
        List<String> statuses = ls.out().lines().skip(1).filter(l -> l.startsWith("web-"))
            .map(l -> l.split("\\s+")[4]).toList();
        assertThat(statuses).as(ls.out()).isNotEmpty().last().isEqualTo("completed");
        assertThat(statuses).as(ls.out()).first().isIn("setup", "active");
        assertThat(statuses).as("states only move forward: %s", statuses)
            .isSortedAccordingTo(java.util.Comparator.comparingInt(s -> List.of("setup", "active", "completed").indexOf(s)));
        // roamctl vm ls -w: the table, then web's row again once it runs on host2.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(vms.out().lines().skip(2)
            .filter(l -> l.startsWith("web ")).map(l -> l.split("\\s+")[1]).toList()).as(vms.out()).contains("host2"));
        assertThat(vms.out().lines().skip(1).findFirst().orElse("")).as("the table first").startsWith("web ").contains("host1");
        watch.close();
      } finally {
        vms.stop();
        ls.stop();
        channel.shutdownNow();
      }
    }
  }

  @Test
  void aClientThatReconnectsAfterALeaderChangeMissesNothing() throws Exception {
    try (LocalCluster c = LocalCluster.startWithExternalZooKeeper(dir, 2, 1)) {
      String leaderAddress = leader(c);
      LocalCluster.Node leader = c.masters.stream().filter(m -> m.address().equals(leaderAddress)).findFirst().orElseThrow();
      LocalCluster.Node standby = c.masters.stream().filter(m -> m != leader).findFirst().orElseThrow();
      LocalCluster.ok(c.ctl("vm", "create", "a", "--program", "idle", "--memory", "16MiB"));
      LocalCluster.ok(c.ctl("vm", "create", "gone", "--program", "idle", "--memory", "16MiB"));

      // events -f against the leader first, the standby second.
      Background follow = Background.at(c, leaderAddress + "," + standby.address(), "events", "-f");
      ManagedChannel toLeader = LocalCluster.channel(leaderAddress, c.user(Role.VIEWER, "vera"));
      ManagedChannel toStandby = LocalCluster.channel(standby.address(), c.user(Role.VIEWER, "vera"));
      try {
        Watch first = Watch.open(toLeader, null);
        await().atMost(Duration.ofSeconds(30)).until(() -> first.has("synced") && follow.out().contains("vm.created"));
        long resumeAt = first.received.stream().filter(e -> e.getType().equals("synced")).findFirst().orElseThrow().getSeq();
        assertThat(first.indexOf(e -> e.getType().equals("put") && e.getName().equals("gone") && e.getNode().isEmpty()))
            .as("the snapshot holds every VM record").isNotNegative();

        LocalCluster.kill(leader);
        await().atMost(Duration.ofSeconds(60)).until(() -> first.ended);
        await().atMost(Duration.ofSeconds(60)).until(() -> leader(c).equals(standby.address()));
        // What happens while the first watch is gone: an event, a VM deleted.
        LocalCluster.ok(c.ctl("vm", "create", "b", "--program", "idle", "--memory", "16MiB"));
        LocalCluster.ok(c.ctl("vm", "destroy", "gone"));

        Watch again = Watch.open(toStandby, resumeAt);
        await().atMost(Duration.ofSeconds(30)).until(() -> again.has("synced"));
        assertThat(again.received.stream().filter(e -> e.getType().equals("event")).map(e -> e.getEvent().getKind() + " "
            + e.getEvent().getVm()).toList()).as("the events after the resume point, in order")
            .containsSubsequence("vm.created b", "vm.destroyed gone");
        assertThat(again.indexOf(e -> e.getType().equals("put") && e.getName().equals("gone"))).as("a deleted VM is not put")
            .isNegative();

        // roamctl events -f reconnected by itself and printed each event once.
        await().atMost(Duration.ofSeconds(30)).until(() -> follow.out().contains("vm.destroyed"));
        assertThat(follow.out().lines().filter(l -> l.contains("vm.created") && l.contains(" b ")).count()).isEqualTo(1);
        assertThat(follow.out().lines().filter(l -> l.contains("vm.created") && l.contains(" a ")).count()).isEqualTo(1);
        again.close();
      } finally {
        follow.stop();
        toLeader.shutdownNow();
        toStandby.shutdownNow();
      }
    }
  }

  private static String leader(LocalCluster c) throws Exception {
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(c.ctl("-o", "json", "leader").out())
        .path("leaderAddress").asText();
  }

  /** A WatchEvents stream read into a list. */
  private static final class Watch implements StreamObserver<WatchEvent> {
    final List<WatchEvent> received = new CopyOnWriteArrayList<>();
    volatile boolean ended;
    private io.grpc.Context.CancellableContext context;

    static Watch open(ManagedChannel channel, Long afterSeq) {
      Watch w = new Watch();
      w.context = io.grpc.Context.current().withCancellation();
      WatchEventsRequest.Builder req = WatchEventsRequest.newBuilder();
      if (afterSeq != null) {
        req.setAfterSeq(afterSeq);
      }
      w.context.run(() -> ClusterServiceGrpc.newStub(channel).watchEvents(req.build(), w));
      return w;
    }

    boolean has(String type) {
      return received.stream().anyMatch(e -> e.getType().equals(type));
    }

    int indexOf(java.util.function.Predicate<WatchEvent> p) {
      List<WatchEvent> now = new ArrayList<>(received);
      for (int i = 0; i < now.size(); i++) {
        if (p.test(now.get(i))) {
          return i;
        }
      }
      return -1;
    }

    int indexOfEvent(String kind) {
      return indexOf(e -> e.getType().equals("event") && e.getEvent().getKind().equals(kind));
    }

    void close() {
      context.cancel(null);
    }

    @Override
    public void onNext(WatchEvent e) {
      received.add(e);
    }

    @Override
    public void onError(Throwable t) {
      ended = true;
    }

    @Override
    public void onCompleted() {
      ended = true;
    }
  }

  /** A roamctl command that runs until stopped (a watch), in this JVM, its output collected. */
  private static final class Background {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Thread thread;

    Background(LocalCluster c, String... args) {
      this(c.masterAddresses(), c, args);
    }

    static Background at(LocalCluster c, String masters, String... args) {
      return new Background(masters, c, args);
    }

    private Background(String masters, LocalCluster c, String... args) {
      List<String> all = new ArrayList<>(List.of("--master", masters, "--tls-ca", c.admin().ca().toString(),
          "--tls-cert", c.admin().cert().toString(), "--tls-key", c.admin().key().toString()));
      all.addAll(List.of(args));
      PrintStream printer = new PrintStream(out, true, StandardCharsets.UTF_8);
      thread = new Thread(() -> Roamctl.run(all.toArray(String[]::new), printer, printer, Map.of()), "roamctl " + args[0]);
      thread.setDaemon(true);
      thread.start();
    }

    String out() {
      synchronized (out) {
        return out.toString(StandardCharsets.UTF_8);
      }
    }

    void stop() throws InterruptedException {
      thread.interrupt();
      thread.join(10_000);
    }
  }
}
