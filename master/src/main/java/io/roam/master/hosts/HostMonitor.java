package io.roam.master.hosts;

import io.roam.common.DatastoreHeartbeats;
import io.roam.common.model.HostRecord;
import io.roam.master.drs.model.HostMode;
import io.roam.master.events.EventLog;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.HostControl;
import io.roam.master.inventory.HostEvent;
import io.roam.master.inventory.HostTransition;
import io.roam.master.inventory.NotLeaderException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's failure detector. Each pass combines three signals per host: its ZooKeeper session
 * (the live node), its heartbeat stream to this leader, and its heartbeat file on the datastore;
 * together with what operators and DPM asked (maintenance, standby) it gives the host's state,
 * publishes changes to ZooKeeper (so that every master's `host ls` shows them) and records each
 * change as an event. A woken host whose agent is back becomes connected here.
 *
 * <p>Time: every delay here (the failover delay, the heartbeat timeout, the grace period) is
 * measured on this process's monotonic clock, so a step of the wall clock stretches or shrinks
 * none of them. Signals that carry another clock's time (the heartbeat stream's receive times, the
 * datastore counter) are used only as "did it change", timed by when this monitor saw the change:
 * a change is seen up to one pass late, which makes a host look fresher by at most one pass.
 *
 * <p>Thread-safety: {@link #tick} runs on one thread (the leader's loop); {@link #current} may be
 * read from any thread.
 */
public final class HostMonitor {
  private static final Logger LOG = LoggerFactory.getLogger(HostMonitor.class);

  private final ClusterStore store;
  private final LoadHistory heartbeats;
  private final EventLog events;
  private final Clock wallClock;
  private final LongSupplier monotonicMs;
  private final long failoverDelayMs;
  private final long heartbeatTimeoutMs;
  private final long startedMs;
  private final Map<String, Long> downSince = new HashMap<>();
  private final Map<String, Long> liveSince = new HashMap<>();
  private final Map<String, long[]> datastoreSeen = new HashMap<>(); // host -> {counter, time it last changed}
  private final Map<String, long[]> streamSeen = new HashMap<>(); // host -> {last receive time, when it changed}
  private final Map<String, HostState> published = new HashMap<>();
  private volatile Map<String, HostStatus> current = Map.of();

  /**
   * @param store the leader's term-bound store: its writes fail once the term is over
   * @param wallClock only for the time recorded with a mode change (shown to operators)
   * @param monotonicMs this process's monotonic clock ({@code Monotonic::millis}); {@link
   *     HostStatus#downSinceMs()} is on it
   */
  public HostMonitor(ClusterStore store, LoadHistory heartbeats, EventLog events, Clock wallClock,
      LongSupplier monotonicMs, long failoverDelayMs, long heartbeatTimeoutMs) {
    this.store = store;
    this.heartbeats = heartbeats;
    this.events = events;
    this.wallClock = wallClock;
    this.monotonicMs = monotonicMs;
    this.failoverDelayMs = failoverDelayMs;
    this.heartbeatTimeoutMs = heartbeatTimeoutMs;
    this.startedMs = monotonicMs.getAsLong();
  }

  /** The last pass's view of every host. */
  public Map<String, HostStatus> current() {
    return current;
  }

  public Map<String, HostStatus> tick() throws Exception {
    long now = monotonicMs.getAsLong();
    Map<String, HostStatus> next = new LinkedHashMap<>();
    for (HostRecord h : store.hosts()) {
      HostControl control = store.hostControl(h.name());
      boolean live = store.isLive(h.name());
      if (live && (control.mode() == HostMode.WAKING || control.mode() == HostMode.STANDBY)) {
        HostTransition t = store.transitionHost(h.name(), HostEvent.AGENT_BACK, wallClock.millis());
        if (t.changes()) {
          events.append("host.woken", null, h.name(), "the agent is back after power-on; the host takes VMs again");
        }
        control = t.after();
      }
      HostStatus s = judge(h, control, live, now);
      next.put(h.name(), s);
      publish(s);
    }
    current = Map.copyOf(next);
    return current;
  }

  private HostStatus judge(HostRecord h, HostControl control, boolean live, long now) {
    String name = h.name();
    long datastoreChanged = datastoreChangedMs(h, now);
    if (live) {
      downSince.remove(name);
      long up = liveSince.computeIfAbsent(name, k -> now);
      long heard = streamChangedMs(name, now);
      boolean fresh = heard >= 0 && now - heard <= heartbeatTimeoutMs;
      // A new leader, or an agent just back, needs a few seconds before its stream reaches us.
      boolean grace = now - Math.max(startedMs, up) <= 2 * heartbeatTimeoutMs;
      if (!fresh && !grace) {
        return new HostStatus(h, control, HostState.NOT_RESPONDING, true, -1, heard < 0
            ? "no heartbeat received by this leader" : "heartbeat stream silent for " + (now - heard) + " ms");
      }
      return new HostStatus(h, control, HostStates.fromMode(control.mode()), true, -1, "");
    }
    liveSince.remove(name);
    long since = downSince.computeIfAbsent(name, k -> now);
    // A host being powered off for standby is expected to go: no alarm (HA still sees it down).
    if (HostStates.expectedDown(control.mode())) {
      return new HostStatus(h, control, HostStates.fromMode(control.mode()), false, since, control.wakeFailed()
          ? "did not come up when woken; DPM leaves it alone until cleared" : "");
    }
    // Isolated: the datastore counter moved after the session was seen gone (a dying host's last
    // writes do not count), and recently.
    if (datastoreChanged > since && now - datastoreChanged <= heartbeatTimeoutMs) {
      return new HostStatus(h, control, HostState.ISOLATED, false, since,
          "ZooKeeper session gone for " + (now - since) + " ms but the datastore heartbeat still moves");
    }
    if (now - since >= failoverDelayMs) {
      return new HostStatus(h, control, HostState.FAILED, false, since,
          "ZooKeeper session gone for " + (now - since) + " ms and no datastore heartbeat");
    }
    return new HostStatus(h, control, HostState.NOT_RESPONDING, false, since,
        "ZooKeeper session gone for " + (now - since) + " ms");
  }

  /** When (monotonic) this monitor last saw a new heartbeat from the host on the stream; -1 when none. */
  private long streamChangedMs(String host, long now) {
    Optional<Long> received = heartbeats.lastHeardMs(host);
    if (received.isEmpty()) {
      return -1;
    }
    long[] seen = streamSeen.get(host);
    if (seen == null || seen[0] != received.get()) {
      streamSeen.put(host, new long[] {received.get(), now});
      return now;
    }
    return seen[1];
  }

  /** When this monitor last saw the host's datastore counter change; -1 when it cannot tell. */
  private long datastoreChangedMs(HostRecord h, long now) {
    if (h.datastore() == null || h.datastore().isBlank()) {
      return -1;
    }
    OptionalLong counter = DatastoreHeartbeats.read(Path.of(h.datastore()), h.name());
    if (counter.isEmpty()) {
      return -1; // this master cannot see that datastore: it cannot tell isolation from failure
    }
    long[] seen = datastoreSeen.get(h.name());
    if (seen == null) {
      datastoreSeen.put(h.name(), new long[] {counter.getAsLong(), -1}); // the first reading proves nothing
      return -1;
    }
    if (seen[0] != counter.getAsLong()) {
      seen[0] = counter.getAsLong();
      seen[1] = now;
    }
    return seen[1];
  }

  private void publish(HostStatus s) {
    HostState before = published.put(s.name(), s.state());
    if (before == s.state()) {
      return;
    }
    try {
      store.setHostState(s.name(), s.state().label());
    } catch (NotLeaderException e) {
      published.remove(s.name());
      throw e; // the term is over: this pass ends here
    } catch (Exception e) {
      LOG.warn("cannot publish the state of host {}: {}", s.name(), e.toString());
      published.remove(s.name()); // try again next pass
    }
    if (before == null && s.state() == HostState.CONNECTED) {
      return; // a new leader's first look at a healthy host is not news
    }
    if (s.state() != HostState.CONNECTED && s.state() != HostState.NOT_RESPONDING && s.state() != HostState.ISOLATED
        && s.state() != HostState.FAILED) {
      return; // maintenance, standby, waking: whoever changed the mode said so in an event
    }
    events.append("host." + s.state().label(), null, s.name(), s.note().isEmpty() ? "host is " + s.state().label()
        : s.note());
  }
}
