package io.roam.agent.migration;

/**
 * Where one migration's time went, in microseconds: setup (reading the owner record, the prepare
 * round trip with the destination's own parts of it, opening the data connection), the copy, and
 * the pause with its parts. Immutable; 0 means "not reached" or "not reported" (a destination that
 * does not report its parts leaves them 0).
 *
 * <p>Built by the pure function {@link #of}: from instants on the source's clock and durations the
 * destination measured on its own clock (the two hosts' clocks are never compared).
 *
 * @param ownerReadMicros start to the prepare request: reading and checking the owner record
 * @param prepareMicros the prepare round trip as the source saw it (everything the destination did before
 *     the first page, plus the RPC itself)
 * @param destMemoryFileMicros destination: creating the VM's memory file
 * @param destJvmMicros destination: launching the VM's JVM and waiting until it reports WAITING
 * @param connectMicros the data connection: TCP, TLS handshake, HELLO and READY
 * @param copyMicros READY to the pause: every pre-copy round
 * @param lastPagesMicros pause to COMPLETE queued: the last dirty pages read and queued, the runtime state
 * @param verifyMicros COMPLETE queued to VERIFIED received: the last pages on the wire and the destination's check
 * @param destVerifyMicros destination: the digest comparison (and the full digest when asked for)
 * @param ownershipMicros the ownership compare-and-set in ZooKeeper
 * @param commitMicros compare-and-set done to COMMITTED received: releasing the address, COMMIT, the resume
 * @param destResumeMicros destination: from COMMIT to the VM running (address, GO, the program running)
 * @param destGoMicros destination: the GO call of that (the program fences its disk and resumes)
 * @param pauseMicros pause to COMMITTED: the sum of the four pause parts
 * @param totalMicros start to COMMITTED: what the user waits for
 */
public record MigrationPhases(long ownerReadMicros, long prepareMicros, long destMemoryFileMicros,
    long destJvmMicros, long connectMicros, long copyMicros, long lastPagesMicros,
    long verifyMicros, long destVerifyMicros, long ownershipMicros, long commitMicros, long destResumeMicros,
    long destGoMicros, long pauseMicros, long totalMicros) {

  /** No phase recorded (a migration still in setup, or one that failed). */
  public static final MigrationPhases NONE = new MigrationPhases(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  /**
   * Instants on the source agent's {@link System#nanoTime} clock, in the order they happen; 0 for
   * one not reached.
   */
  public record SourceMarks(long start, long prepareSent, long prepared, long ready, long paused, long completeSent,
      long verified, long ownershipMoved, long committed) {}

  /** What the destination measured on its own clock, in microseconds; 0 when it did not say. */
  public record DestinationTimes(long memoryFileMicros, long jvmMicros, long verifyMicros, long resumeMicros,
      long goMicros) {
    public static final DestinationTimes NONE = new DestinationTimes(0, 0, 0, 0, 0);

    public DestinationTimes withPrepare(long memoryFile, long jvm) {
      return new DestinationTimes(memoryFile, jvm, verifyMicros, resumeMicros, goMicros);
    }

    public DestinationTimes withVerify(long verify) {
      return new DestinationTimes(memoryFileMicros, jvmMicros, verify, resumeMicros, goMicros);
    }

    public DestinationTimes withResume(long resume, long go) {
      return new DestinationTimes(memoryFileMicros, jvmMicros, verifyMicros, resume, go);
    }
  }

  /** The phases from the source's instants and the destination's durations. Pure. */
  public static MigrationPhases of(SourceMarks m, DestinationTimes d) {
    long pause = between(m.paused(), m.committed());
    return new MigrationPhases(between(m.start(), m.prepareSent()), between(m.prepareSent(), m.prepared()),
        d.memoryFileMicros(), d.jvmMicros(), between(m.prepared(), m.ready()),
        between(m.ready(), m.paused()), between(m.paused(), m.completeSent()), between(m.completeSent(), m.verified()),
        d.verifyMicros(), between(m.verified(), m.ownershipMoved()), between(m.ownershipMoved(), m.committed()),
        d.resumeMicros(), d.goMicros(), pause, between(m.start(), m.committed()));
  }

  /** Setup: everything before the first page is sent. */
  public long setupMicros() {
    return ownerReadMicros + prepareMicros + connectMicros;
  }

  /** The prepare round trip less the destination's reported parts: RPC, TLS channel, queueing. */
  public long prepareOverheadMicros() {
    return Math.max(0, prepareMicros - destMemoryFileMicros - destJvmMicros);
  }

  /**
   * Microseconds from {@code from} to {@code to} (nanosecond instants), 0 unless both were reached
   * in order. Each instant is rounded down to its microsecond first, not the difference, so that
   * consecutive phases add up exactly to the phase that spans them.
   */
  static long between(long from, long to) {
    return from == 0 || to == 0 || to < from ? 0 : Math.floorDiv(to, 1_000) - Math.floorDiv(from, 1_000);
  }
}
