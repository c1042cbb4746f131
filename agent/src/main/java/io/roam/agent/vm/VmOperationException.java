package io.roam.agent.vm;

/** A VM operation that cannot be done; the kind decides the gRPC status, the message is for the operator. */
public final class VmOperationException extends RuntimeException {
  /** NOT_OWNER: the VM's owner record does not name this host at the epoch given (DESIGN.md invariant 1). */
  public enum Kind { NOT_FOUND, ALREADY_EXISTS, NO_ROOM, BAD_STATE, INVALID, STALE_EPOCH, NOT_OWNER, INTERNAL }

  private final Kind kind;

  public VmOperationException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
