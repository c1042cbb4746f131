package io.roam.master.check;

import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What the leader gathered about one host for the cluster check: its state, its latest heartbeat,
 * its answer to the datastore probe and its power driver's.
 *
 * @param state the leader's verdict, as {@code host ls} shows it ("connected", "not-responding", ...)
 * @param standby powered off on purpose (standby, entering standby, waking): not expected to answer
 * @param live the agent holds a ZooKeeper session
 * @param heartbeatAgeMs since the last heartbeat reached this master; empty when none has
 * @param probe the datastore probe, or null when the host was not probed (not live, or standby)
 * @param power the host's power driver, or null when it has none
 */
public record HostFacts(String name, String state, boolean standby, boolean live, OptionalLong heartbeatAgeMs,
    Probe probe, Power power) {

  /**
   * The host's answers to the probe's write and read rounds.
   *
   * @param error why the host did not answer, or empty
   * @param seen hosts whose token file it read back
   * @param unseen hosts whose file it did not see, with why
   * @param clockOffsetMs its wall clock minus the leader's at the middle of the call
   * @param roundTripMs how long that call took: the offset is known to within half of it
   */
  public record Probe(String error, String datastore, String writeError, Set<String> seen, Map<String, String> unseen,
      long clockOffsetMs, long roundTripMs) {
    public Probe {
      seen = Set.copyOf(seen);
      unseen = Map.copyOf(unseen);
    }

    public static Probe failed(String error) {
      return new Probe(error, "", "", Set.of(), Map.of(), 0, 0);
    }

    boolean answered() {
      return error.isEmpty();
    }
  }

  /**
   * @param driver how it is described in {@code host ls} (never a credential)
   * @param state "on", "off" or "unknown"; empty when the driver failed
   * @param error why the driver did not answer, or empty
   */
  public record Power(String driver, String state, String error) {}
}
