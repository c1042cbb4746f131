package io.roam.master.hosts;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.roam.common.time.Monotonic;
import io.roam.master.election.LeaderElection;
import io.roam.proto.HeartbeatAck;
import io.roam.proto.HeartbeatServiceGrpc;
import io.roam.proto.HostHeartbeat;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Receives the agents' heartbeat streams. Only the leader takes them; a standby, or a master that
 * loses leadership, ends each stream with UNAVAILABLE, and the agent looks up the leader again.
 */
public final class HeartbeatGrpcService extends HeartbeatServiceGrpc.HeartbeatServiceImplBase {
  private final LeaderElection election;
  private final LoadHistory history;
  private final Clock clock;
  private final Set<StreamObserver<HeartbeatAck>> open = ConcurrentHashMap.newKeySet();

  /** The VM process pool advised to each host (see {@code PoolAdvice}), sent back with each acknowledgement. */
  private final java.util.function.ToIntFunction<String> poolAdvice;

  public HeartbeatGrpcService(LeaderElection election, LoadHistory history, Clock clock,
      java.util.function.ToIntFunction<String> poolAdvice) {
    this.election = election;
    this.history = history;
    this.clock = clock;
    this.poolAdvice = poolAdvice;
  }

  @Override
  public StreamObserver<HostHeartbeat> heartbeat(StreamObserver<HeartbeatAck> out) {
    if (election.leaderEpoch().isEmpty()) {
      out.onError(Status.UNAVAILABLE.withDescription("not the leader master; the leader is "
          + election.leader().map(l -> l.address()).orElse("not known yet")).asRuntimeException());
      return new Ignore();
    }
    open.add(out);
    return new StreamObserver<>() {
      @Override
      public void onNext(HostHeartbeat hb) {
        java.util.OptionalLong now = election.leaderEpoch();
        if (now.isEmpty()) {
          end(out);
          return;
        }
        history.record(hb, clock.millis());
        history.reports().record(hb, Monotonic.millis()); // VM monitoring compares it with Monotonic time
        synchronized (out) {
          out.onNext(HeartbeatAck.newBuilder().setSeq(hb.getSeq()).setLeaderEpoch(now.getAsLong())
              .setVmPoolAdvice(poolAdvice.applyAsInt(hb.getHost())).build());
        }
      }

      @Override
      public void onError(Throwable t) {
        open.remove(out);
      }

      @Override
      public void onCompleted() {
        if (open.remove(out)) {
          synchronized (out) {
            out.onCompleted();
          }
        }
      }
    };
  }

  /** Ends every open stream: called when this master stops leading. */
  public void endAll() {
    for (StreamObserver<HeartbeatAck> out : open) {
      end(out);
    }
  }

  private void end(StreamObserver<HeartbeatAck> out) {
    if (open.remove(out)) {
      synchronized (out) {
        try {
          out.onError(Status.UNAVAILABLE.withDescription("this master is no longer the leader").asRuntimeException());
        } catch (RuntimeException e) {
          // the stream was already closed
        }
      }
    }
  }

  private static final class Ignore implements StreamObserver<HostHeartbeat> {
    @Override
    public void onNext(HostHeartbeat value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
