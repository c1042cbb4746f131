package io.roam.master.check;

import io.grpc.StatusRuntimeException;
import io.roam.common.model.HostRecord;
import io.roam.master.api.AgentClients;
import io.roam.master.drs.model.HostMode;
import io.roam.master.hosts.HeartbeatReports;
import io.roam.master.hosts.HostStatus;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.power.PowerControl;
import io.roam.master.power.PowerDriver;
import io.roam.proto.DatastoreProbeRequest;
import io.roam.proto.DatastoreProbeResponse;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Gathers what {@link ClusterCheck} judges, on the leader: host states and heartbeat ages from the
 * leader's own view, a three-round datastore probe of every connected host (each writes its token
 * file; each reads every other's; each removes its own), each host's clock read during the first two
 * rounds, and each power driver's status. Calls to hosts and drivers run in parallel, each with a
 * deadline; a host or driver that does not answer is a FAIL with its reason, never a hang.
 *
 * <p>Changes nothing in the cluster: the token files are removed again (a leftover one, if a host
 * dies in between, is harmless), and power drivers are only asked for their status. Thread-safe:
 * one check does not share state with another.
 */
public final class ClusterChecker {
  private static final long PROBE_DEADLINE_MS = 10_000;
  private static final long POWER_DEADLINE_MS = 30_000; // ipmitool has its own 20 s timeout
  private static final Set<HostMode> STANDBY = Set.of(HostMode.STANDBY, HostMode.ENTERING_STANDBY, HostMode.WAKING);

  /** The leader's verdict on a host, while this master leads. */
  public interface HostStates {
    Optional<HostStatus> host(String name);
  }

  private final ClusterStore store;
  private final HostStates states;
  private final HeartbeatReports heartbeats;
  private final AgentClients agents;
  private final PowerControl power;
  private final ExecutorService calls;
  private final Clock wallClock;
  private final LongSupplier monotonicMs;
  private final long defaultMaxClockSkewMs;
  private final long heartbeatTimeoutMs;
  private final SecureRandom random = new SecureRandom();

  /**
   * @param calls runs the calls to agents and drivers (a cached pool: a check makes one per host)
   * @param monotonicMs the clock heartbeat arrivals are recorded with ({@code Monotonic::millis})
   */
  public ClusterChecker(ClusterStore store, HostStates states, HeartbeatReports heartbeats, AgentClients agents,
      PowerControl power, ExecutorService calls, Clock wallClock, LongSupplier monotonicMs, long defaultMaxClockSkewMs,
      long heartbeatTimeoutMs) {
    this.store = store;
    this.states = states;
    this.heartbeats = heartbeats;
    this.agents = agents;
    this.power = power;
    this.calls = calls;
    this.wallClock = wallClock;
    this.monotonicMs = monotonicMs;
    this.defaultMaxClockSkewMs = defaultMaxClockSkewMs;
    this.heartbeatTimeoutMs = heartbeatTimeoutMs;
  }

  /** @param maxClockSkewMs the bound for this check; 0 takes the configured one */
  public List<CheckItem> check(long maxClockSkewMs) throws Exception {
    List<HostRecord> hosts = store.hosts();
    Map<String, Boolean> standby = new HashMap<>();
    Map<String, Boolean> live = new HashMap<>();
    List<HostRecord> targets = new ArrayList<>();
    for (HostRecord h : hosts) {
      standby.put(h.name(), STANDBY.contains(store.hostControl(h.name()).mode()));
      live.put(h.name(), store.isLive(h.name()));
      if (live.get(h.name()) && !standby.get(h.name())) {
        targets.add(h);
      }
    }
    Map<String, Future<HostFacts.Power>> powers = new LinkedHashMap<>();
    for (HostRecord h : hosts) {
      if (store.powerDriver(h.name()).isPresent()) {
        powers.put(h.name(), calls.submit(() -> powerOf(h.name())));
      }
    }
    // Heartbeat ages as of the start: the probes and drivers below may take seconds.
    Map<String, HeartbeatReports.HostReport> latest = heartbeats.latest();
    long now = monotonicMs.getAsLong();
    Map<String, HostFacts.Probe> probes = probe(targets);

    List<HostFacts> facts = new ArrayList<>();
    for (HostRecord h : hosts) {
      String state = states.host(h.name()).map(s -> s.state().label())
          .or(() -> hostState(h.name())).orElse(live.get(h.name()) ? "connected" : "disconnected");
      HeartbeatReports.HostReport r = latest.get(h.name());
      OptionalLong age = r == null ? OptionalLong.empty() : OptionalLong.of(Math.max(0, now - r.arrivedMs()));
      HostFacts.Power p = null;
      if (powers.containsKey(h.name())) {
        p = await(powers.get(h.name()), POWER_DEADLINE_MS,
            e -> new HostFacts.Power("its power driver", "", e));
      }
      facts.add(new HostFacts(h.name(), state, standby.get(h.name()), live.get(h.name()), age, probes.get(h.name()), p));
    }
    long bound = maxClockSkewMs > 0 ? maxClockSkewMs : defaultMaxClockSkewMs;
    return ClusterCheck.evaluate(facts, new ClusterCheck.Bounds(bound, heartbeatTimeoutMs));
  }

  private Optional<String> hostState(String host) {
    try {
      return store.hostState(host);
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  /**
   * Round 1: write; round 2: read the others'; round 3: remove. Each host's clock is read in rounds
   * 1 and 2, and the reading with the shorter round trip kept (the first call may include the TLS
   * handshake of a new channel).
   */
  private Map<String, HostFacts.Probe> probe(List<HostRecord> targets) {
    String token = HexFormat.of().formatHex(randomBytes());
    record Written(DatastoreProbeResponse response, long offsetMs, long roundTripMs) {} // one answer and its clock reading
    Map<String, Future<Written>> writes = new LinkedHashMap<>();
    for (HostRecord h : targets) {
      writes.put(h.name(), calls.submit(() -> {
        long t0 = wallClock.millis();
        long m0 = monotonicMs.getAsLong();
        DatastoreProbeResponse r = agents.stub(h, PROBE_DEADLINE_MS).probeDatastore(DatastoreProbeRequest.newBuilder()
            .setToken(token).setWrite(true).build());
        long rtt = Math.max(0, monotonicMs.getAsLong() - m0);
        return new Written(r, r.getWallClockMillis() - (t0 + rtt / 2), rtt);
      }));
    }
    Map<String, Written> written = new LinkedHashMap<>();
    Map<String, String> failed = new HashMap<>();
    for (HostRecord h : targets) {
      Written w = await(writes.get(h.name()), PROBE_DEADLINE_MS + 1_000, e -> {
        failed.put(h.name(), e);
        return null;
      });
      if (w != null) {
        written.put(h.name(), w);
      }
    }
    List<String> readable = written.entrySet().stream().filter(e -> e.getValue().response().getWriteError().isEmpty())
        .map(Map.Entry::getKey).toList();
    Map<String, Future<Written>> reads = new LinkedHashMap<>();
    for (HostRecord h : targets) {
      if (written.containsKey(h.name())) {
        List<String> others = readable.stream().filter(n -> !n.equals(h.name())).toList();
        reads.put(h.name(), calls.submit(() -> {
          long t0 = wallClock.millis();
          long m0 = monotonicMs.getAsLong();
          DatastoreProbeResponse r = agents.stub(h, PROBE_DEADLINE_MS).probeDatastore(
              DatastoreProbeRequest.newBuilder().setToken(token).addAllReadHosts(others).build());
          long rtt = Math.max(0, monotonicMs.getAsLong() - m0);
          return new Written(r, r.getWallClockMillis() - (t0 + rtt / 2), rtt);
        }));
      }
    }
    Map<String, HostFacts.Probe> probes = new LinkedHashMap<>();
    for (HostRecord h : targets) {
      if (failed.containsKey(h.name())) {
        probes.put(h.name(), HostFacts.Probe.failed(failed.get(h.name())));
        continue;
      }
      Written w = written.get(h.name());
      String[] readError = {""};
      Written read = await(reads.get(h.name()), PROBE_DEADLINE_MS + 1_000, e -> {
        readError[0] = e;
        return null;
      });
      if (read == null) {
        probes.put(h.name(), HostFacts.Probe.failed(readError[0]));
        continue;
      }
      DatastoreProbeResponse r = read.response();
      Written clock = read.roundTripMs() < w.roundTripMs() ? read : w;
      Map<String, String> unseen = new HashMap<>();
      for (String line : r.getUnseenList()) {
        int colon = line.indexOf(':');
        unseen.put(colon < 0 ? line : line.substring(0, colon), colon < 0 ? "" : line.substring(colon + 1).strip());
      }
      probes.put(h.name(), new HostFacts.Probe("", w.response().getDatastore(), w.response().getWriteError(),
          Set.copyOf(r.getSeenList()), unseen, clock.offsetMs(), clock.roundTripMs()));
    }
    List<Future<?>> removes = new ArrayList<>();
    for (HostRecord h : targets) {
      if (written.containsKey(h.name())) {
        removes.add(calls.submit(() -> agents.stub(h, PROBE_DEADLINE_MS).probeDatastore(
            DatastoreProbeRequest.newBuilder().setToken(token).setRemove(true).build())));
      }
    }
    for (Future<?> f : removes) {
      await(f, PROBE_DEADLINE_MS + 1_000, e -> null); // best effort: a leftover token file harms nothing
    }
    return probes;
  }

  private byte[] randomBytes() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    return b;
  }

  private HostFacts.Power powerOf(String host) {
    String describe = "its power driver";
    try {
      Optional<PowerDriver> d = power.driver(host);
      if (d.isEmpty()) {
        return new HostFacts.Power(describe, "", "no power driver");
      }
      describe = d.get().toString();
      return new HostFacts.Power(describe, d.get().status().name(), "");
    } catch (Exception e) {
      return new HostFacts.Power(describe, "", oneLine(e));
    }
  }

  /** The future's value; else {@code onError} of one line saying why (timed out, refused, ...). */
  private static <T> T await(Future<T> f, long deadlineMs, Function<String, T> onError) {
    try {
      return f.get(deadlineMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      f.cancel(true);
      return onError.apply("no answer within " + deadlineMs / 1000 + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return onError.apply("interrupted");
    } catch (java.util.concurrent.ExecutionException e) {
      return onError.apply(oneLine(e.getCause()));
    }
  }

  private static String oneLine(Throwable t) {
    if (t instanceof StatusRuntimeException s) {
      String d = s.getStatus().getDescription();
      return s.getStatus().getCode() + (d == null ? "" : ": " + d.lines().findFirst().orElse(""));
    }
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.lines().findFirst().orElse("");
  }
}
