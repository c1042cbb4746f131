package io.roam.master.api;

import io.grpc.Status;

/** A request the master refuses; the status code is chosen where the error is known, mapped once. */
public final class MasterException extends RuntimeException {
  private final Status.Code code;

  public MasterException(Status.Code code, String message) {
    super(message);
    this.code = code;
  }

  public Status.Code code() {
    return code;
  }

  public static MasterException notFound(String msg) {
    return new MasterException(Status.Code.NOT_FOUND, msg);
  }

  public static MasterException invalid(String msg) {
    return new MasterException(Status.Code.INVALID_ARGUMENT, msg);
  }

  public static MasterException precondition(String msg) {
    return new MasterException(Status.Code.FAILED_PRECONDITION, msg);
  }

  /** UNAVAILABLE tells roamctl to try the next master it knows. */
  public static MasterException notLeader(String leader) {
    return new MasterException(Status.Code.UNAVAILABLE, "this master is not the leader"
        + (leader == null ? " and no leader is elected yet" : "; the leader is at " + leader));
  }
}
