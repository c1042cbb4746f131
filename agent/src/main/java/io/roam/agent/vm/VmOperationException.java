package io.roam.agent.vm;

/** A VM operation that cannot be done; the kind decides the gRPC status, the message is for the operator. */
public final class VmOperationException extends RuntimeException {
  public enum Kind { NOT_FOUND, ALREADY_EXISTS, NO_ROOM, BAD_STATE, INVALID, STALE_EPOCH, INTERNAL }

  private final Kind kind;

  public VmOperationException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
