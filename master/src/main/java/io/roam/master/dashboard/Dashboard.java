package io.roam.master.dashboard;

import io.roam.common.Json;
import io.roam.common.security.PeerIdentity;
import io.roam.common.security.TlsFiles;
import io.roam.master.api.ClusterGrpcService;
import io.roam.master.election.LeaderElection;
import io.roam.proto.DashboardLogin;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web dashboard of one master: its HTTPS server, the leader's hour of chart samples, and the
 * loop that rebuilds the page's document and pushes it to open pages (Server-Sent Events).
 *
 * <p>When a document is built: when this master appends an event, every second while a migration
 * is in flight (its progress is the point), else every {@value #IDLE_REFRESH_MS} ms to follow host
 * load (which no event announces); only while a page is open, and pushed only when it differs from
 * the last one. The browser never polls. A chart sample is taken every {@value #SAMPLE_MS} ms while
 * this master leads, page or not.
 *
 * <p>The leader publishes its dashboard's address in ZooKeeper ({@link #PUBLISHED}, ephemeral) so that
 * standbys can redirect to it. Thread-safe; the loop runs on one thread of its own.
 */
public final class Dashboard implements AutoCloseable {
  /** The leader's dashboard URL, for standbys' redirects: ephemeral, written by the leader. */
  public static final String PUBLISHED = io.roam.common.ZkPaths.ROOT + "/dashboard";
  static final long TICK_MS = 1_000;
  static final long IDLE_REFRESH_MS = 3_000;
  static final long SAMPLE_MS = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(Dashboard.class);

  private final ClusterReader reader;
  private final BooleanSupplier leading;
  private final LeaderElection election;
  private final CuratorFramework zk;
  private final Clock clock;
  private final DashboardTokens tokens;
  private final DashboardHistory history = new DashboardHistory();
  private final DashboardServer server;
  private final String url;
  private final ScheduledExecutorService loop;
  private final Set<LinkedBlockingQueue<String>> subscribers = ConcurrentHashMap.newKeySet();
  private final Object buildLock = new Object();

  private volatile boolean eventAppended = true;
  // The fields below are guarded by buildLock.
  private String latestJson;
  private String latestWithoutTime;
  private boolean inFlight;
  private long lastBuildMs;
  private long lastSampleMs;
  private boolean published;
  /** Whether this master led at the last tick: a change starts or ends a term (guarded by buildLock). */
  private boolean ledAtLastTick;

  /**
   * Starts serving on {@code address:port} (0: any free port).
   *
   * @param events this master's event log: an appended event rebuilds the page's document
   */
  public Dashboard(TlsFiles tls, String address, int port, ClusterGrpcService api, LeaderElection election,
      CuratorFramework zk, io.roam.master.events.EventLog events, DashboardTokens tokens, boolean haEnabled,
      int haHostFailures, Clock clock) throws java.io.IOException {
    this.leading = () -> election.leaderEpoch().isPresent();
    this.reader = new ClusterReader(api, leading, clock, haEnabled, haHostFailures);
    this.election = election;
    this.zk = zk;
    this.clock = clock;
    this.tokens = tokens;
    this.server = new DashboardServer(tls, address, port, tokens, new Hub());
    this.url = "https://" + (address.contains(":") ? "[" + address + "]" : address) + ":" + server.port();
    events.onAppend(e -> eventAppended = true);
    loop = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "dashboard");
      t.setDaemon(true);
      return t;
    });
    loop.scheduleWithFixedDelay(this::tickSafely, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
  }

  /** The port it serves on. */
  public int port() {
    return server.port();
  }

  /** e.g. {@code https://10.0.0.2:7790}. */
  public String url() {
    return url;
  }

  /**
   * A one-time login link for {@code who} (roamctl dashboard). Only the leader's links work, since
   * the leader alone serves the page; the caller checks leadership first.
   */
  public DashboardLogin login(PeerIdentity who) {
    DashboardTokens.Issued t = tokens.login(who);
    return DashboardLogin.newBuilder().setUrl(url + "/?login=" + t.token()).setExpiresAtMs(t.expiresAtMs())
        .setRole(who.role().label()).build();
  }

  @Override
  public void close() {
    loop.shutdownNow();
    server.close();
    synchronized (buildLock) {
      if (published) {
        unpublish();
      }
    }
  }

  private void tickSafely() {
    try {
      tick();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.debug("dashboard tick: {}", e.toString());
    }
  }

  private void tick() throws Exception {
    long now = clock.millis();
    boolean leads = leading.getAsBoolean();
    synchronized (buildLock) {
      if (leads != ledAtLastTick) {
        ledAtLastTick = leads;
        if (leads) {
          history.clear(); // a new term: the chart starts with this master's samples
        } else if (published) {
          unpublish();
        }
      }
      if (leads && !published) {
        publish(); // again at each tick until it works
      }
      if (!leads) {
        return;
      }
      boolean wanted = !subscribers.isEmpty()
          && (eventAppended || inFlight || now - lastBuildMs >= IDLE_REFRESH_MS);
      if (wanted) {
        build(now);
      } else if (now - lastSampleMs >= SAMPLE_MS) {
        history.add(DashboardSnapshot.sample(reader.readForSample()));
        lastSampleMs = now;
      }
    }
  }

  /** Reads the cluster, records a sample when one is due, and pushes the document if it changed. */
  private void build(long now) throws Exception {
    eventAppended = false;
    ClusterView view = reader.read(history.samples());
    if (now - lastSampleMs >= SAMPLE_MS) {
      history.add(DashboardSnapshot.sample(view));
      lastSampleMs = now;
      view = new ClusterView(view.nowMs(), view.leader(), view.hosts(), view.vms(), view.migrations(), view.events(),
          view.drs(), view.haEnabled(), view.haHostFailures(), history.samples());
    }
    Map<String, Object> doc = DashboardSnapshot.build(view);
    inFlight = DashboardSnapshot.migrationInFlight(view);
    lastBuildMs = now;
    Object time = doc.remove("time");
    String withoutTime = json(doc);
    doc.put("time", time);
    latestJson = json(doc);
    if (!withoutTime.equals(latestWithoutTime)) {
      latestWithoutTime = withoutTime;
      for (LinkedBlockingQueue<String> q : subscribers) {
        q.clear(); // a slow page skips to the newest document
        q.offer(latestJson);
      }
    }
  }

  private void publish() {
    try {
      try {
        zk.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(PUBLISHED,
            url.getBytes(StandardCharsets.UTF_8));
      } catch (KeeperException.NodeExistsException e) {
        // the last leader's session has not ended yet: this one leads now, so take the node over
        zk.delete().forPath(PUBLISHED);
        zk.create().withMode(CreateMode.EPHEMERAL).forPath(PUBLISHED, url.getBytes(StandardCharsets.UTF_8));
      }
      published = true;
      LOG.info("dashboard: {} (this master leads; open it with `roamctl dashboard`)", url);
    } catch (Exception e) {
      LOG.warn("dashboard: cannot publish {} for the standbys' redirects: {}", url, e.toString());
    }
  }

  private void unpublish() {
    published = false;
    try {
      org.apache.zookeeper.data.Stat stat = new org.apache.zookeeper.data.Stat();
      byte[] data = zk.getData().storingStatIn(stat).forPath(PUBLISHED);
      if (url.equals(new String(data, StandardCharsets.UTF_8))) {
        // Only the node read here: a new leader may have written its own since.
        zk.delete().withVersion(stat.getVersion()).forPath(PUBLISHED);
      }
    } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
      // nothing of ours to take back
    } catch (Exception e) {
      LOG.debug("dashboard: cannot remove {}: {}", PUBLISHED, e.toString());
    }
  }

  private static String json(Object o) {
    return new String(Json.write(o), StandardCharsets.UTF_8);
  }

  /** The server's view of the dashboard. */
  private final class Hub implements DashboardServer.Hub {
    @Override
    public boolean leading() {
      return leading.getAsBoolean();
    }

    @Override
    public DashboardServer.Redirect whereIsTheLeader() {
      Optional<LeaderElection.LeaderInfo> leader = election.leader();
      if (leader.isEmpty()) {
        return new DashboardServer.Redirect(Optional.empty(), "No master leads right now; try again in a few seconds.");
      }
      try {
        return new DashboardServer.Redirect(Optional.of(new String(zk.getData().forPath(PUBLISHED),
            StandardCharsets.UTF_8)), "");
      } catch (Exception e) {
        return new DashboardServer.Redirect(Optional.empty(), "The leader is " + leader.get().id() + " at "
            + leader.get().address() + "; its dashboard is on its master.dashboard-port (it publishes none: off?).");
      }
    }

    @Override
    public String latest() throws Exception {
      synchronized (buildLock) {
        long now = clock.millis();
        if (latestJson == null || now - lastBuildMs >= IDLE_REFRESH_MS) {
          build(now); // no page was open: what was built then is old
        }
        return latestJson;
      }
    }

    @Override
    public DashboardServer.Subscription subscribe() {
      LinkedBlockingQueue<String> q = new LinkedBlockingQueue<>();
      subscribers.add(q);
      return new DashboardServer.Subscription() {
        @Override
        public String next(long millis) throws InterruptedException {
          return q.poll(millis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
          subscribers.remove(q);
        }
      };
    }

    @Override
    public void apply(String id) throws Exception {
      reader.apply(id);
      eventAppended = true; // show the move at once
    }
  }
}
