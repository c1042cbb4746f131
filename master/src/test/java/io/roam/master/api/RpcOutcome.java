package io.roam.master.api;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** How a unary call on a service object ended: its status code and description (OK, ""), for tests. */
record RpcOutcome(Status.Code status, String message) {

  /** Calls {@code rpc} and returns its answer, or throws its error (waits 60 s at most). */
  static <T> T value(Consumer<StreamObserver<T>> rpc) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    rpc.accept(new StreamObserver<T>() {
      @Override
      public void onNext(T value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    return result.get(60, TimeUnit.SECONDS);
  }

  /** Calls {@code rpc} with an observer and waits (30 s at most) for it to end. */
  static <T> RpcOutcome of(Consumer<StreamObserver<T>> rpc) throws Exception {
    CompletableFuture<RpcOutcome> done = new CompletableFuture<>();
    rpc.accept(new StreamObserver<T>() {
      @Override
      public void onNext(T value) {}

      @Override
      public void onError(Throwable t) {
        Status s = Status.fromThrowable(t);
        done.complete(new RpcOutcome(s.getCode(), s.getDescription()));
      }

      @Override
      public void onCompleted() {
        done.complete(new RpcOutcome(Status.Code.OK, ""));
      }
    });
    return done.get(30, TimeUnit.SECONDS);
  }
}
